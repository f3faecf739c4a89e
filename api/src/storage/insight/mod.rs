//! Coordinator insight: the gap queries and the 4W roll-up of issue 7, for any area, scoped
//! through [`Scope`]. Each query is one function taking a connection, the caller's scope,
//! an optional area, its options and a [`Keyset`], and returning a [`Page`] of rows ordered
//! by a string key that ends in an id (a site id, or a group's key); an export reads the
//! same function page after page with `after` set to the last key it received.
//!
//! Filters that are simple and exact run in SQL (sites in the area and the caller's scope,
//! open-at-date, distribution dates, statuses and goods, counted assessments on or before
//! a date). The per-site rules (latest counted assessment, spikes, double counting,
//! grouping) run here over the area's sites: memory is bounded by the number of sites in
//! the area (and, for the 4W roll-up, by the number of groups), never by the whole table.

pub mod activities;
pub mod coverage;
pub mod flows;
pub mod gaps;
pub mod needs;

use std::collections::{BTreeMap, BTreeSet};

use camptrack_domain::codes::{
    DistributionModality, DistributionStatus, ItemCategory, PriorityNeed, ReviewStatus, Sector,
};
use camptrack_domain::insight::sector_of;
use chrono::NaiveDate;
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::area::{LocatedSite, ResolvedArea, sites_in};
use super::entities::{distribution, distribution_line, item, kit, kit_item, site_assessment};
use super::page::Page;
use super::scope::Scope;
use super::{Result, decode, decode_json};

/// Ids per `IN (...)` list.
const IDS_PER_QUERY: usize = 500;

/// Which page of an insight list: rows whose key is after `after`, at most `first`.
#[derive(Debug, Clone, Default)]
pub struct Keyset {
    /// Most rows (already checked against the maximum page size).
    pub first: usize,
    /// The key of the last row already read.
    pub after: Option<String>,
}

/// Cuts one page out of `rows`, which must be sorted by `key` (unique per row).
pub fn page<T>(rows: Vec<T>, key: impl Fn(&T) -> String, keyset: &Keyset) -> Page<T> {
    let total = rows.len() as u64;
    let mut items: Vec<T> = rows
        .into_iter()
        .filter(|r| {
            keyset
                .after
                .as_ref()
                .is_none_or(|a| key(r).as_str() > a.as_str())
        })
        .take(keyset.first + 1)
        .collect();
    let has_next = items.len() > keyset.first;
    items.truncate(keyset.first);
    Page {
        items,
        has_next,
        total: Some(total),
    }
}

/// The caller's sites in `area` (all of them when `None`), ordered by id.
pub async fn sites(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
) -> Result<Vec<LocatedSite>> {
    sites_in(conn, scope, area, Condition::all()).await
}

/// The caller's sites in `area` open on `day` (opened on or before it, not closed on or
/// before it: the rule of [`LocatedSite::is_open_on`], in SQL), ordered by id.
pub async fn open_sites(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    day: NaiveDate,
) -> Result<Vec<LocatedSite>> {
    use super::entities::site::Column as S;
    let open = Condition::all()
        .add(
            Condition::any()
                .add(S::OpenedOn.is_null())
                .add(S::OpenedOn.lte(day)),
        )
        .add(
            Condition::any()
                .add(S::ClosedOn.is_null())
                .add(S::ClosedOn.gt(day)),
        );
    sites_in(conn, scope, area, open).await
}

/// A counted assessment, as the insight queries read it.
#[derive(Debug, Clone)]
pub struct Assessed {
    /// Its id.
    pub id: Uuid,
    /// The visit date.
    pub assessed_on: NaiveDate,
    /// Households present.
    pub households: i64,
    /// Individuals present.
    pub individuals: i64,
    /// Arrivals in the 3 months before the visit, when reported.
    pub arrivals: Option<i64>,
    /// Majority origin p-codes at admin levels 1 and 2, when reported.
    pub origin: [Option<String>; 2],
    /// Priority needs, most pressing first.
    pub priority_needs: Vec<PriorityNeed>,
}

#[derive(Debug, FromQueryResult)]
struct AssessedRow {
    site_id: Uuid,
    id: Uuid,
    assessed_on: NaiveDate,
    households: i64,
    individuals: i64,
    arrivals3m: Option<i64>,
    origin_admin1_pcode: Option<String>,
    origin_admin2_pcode: Option<String>,
    priority_needs: serde_json::Value,
}

/// Each site's counted (not `REJECTED`) assessments on or before `until`, latest first by
/// the one latest order (assessed_on, round number, captured_at, id), at most `depth` per
/// site. Sites never assessed by then are absent.
pub async fn histories(
    conn: &impl ConnectionTrait,
    site_ids: &[Uuid],
    until: NaiveDate,
    depth: usize,
) -> Result<BTreeMap<Uuid, Vec<Assessed>>> {
    use site_assessment::Column as A;
    let mut out: BTreeMap<Uuid, Vec<Assessed>> = BTreeMap::new();
    for chunk in site_ids.chunks(IDS_PER_QUERY) {
        let rows = site_assessment::Entity::find()
            .select_only()
            .columns([
                A::SiteId,
                A::Id,
                A::AssessedOn,
                A::Households,
                A::Individuals,
                A::Arrivals3m,
                A::OriginAdmin1Pcode,
                A::OriginAdmin2Pcode,
                A::PriorityNeeds,
            ])
            .filter(A::SiteId.is_in(chunk.iter().copied()))
            .filter(A::ReviewStatus.ne(ReviewStatus::Rejected.to_string()))
            .filter(A::AssessedOn.lte(until))
            .order_by_asc(A::SiteId)
            .order_by_desc(A::AssessedOn)
            .order_by_desc(A::RoundNumber)
            .order_by_desc(A::CapturedAt)
            .order_by_desc(A::Id)
            .into_model::<AssessedRow>()
            .all(conn)
            .await?;
        for r in rows {
            let list = out.entry(r.site_id).or_default();
            if list.len() < depth {
                list.push(Assessed {
                    id: r.id,
                    assessed_on: r.assessed_on,
                    households: r.households,
                    individuals: r.individuals,
                    arrivals: r.arrivals3m,
                    origin: [r.origin_admin1_pcode, r.origin_admin2_pcode],
                    priority_needs: decode_json(r.priority_needs)?,
                });
            }
        }
    }
    Ok(out)
}

/// Which goods a distribution must include (any given narrows the rest): an item (given
/// directly or inside a kit), a kit, or a sector (of the line's item or kit, see
/// [`sector_of`]).
#[derive(Debug, Clone, Default)]
pub struct GoodsFilter {
    /// Item code.
    pub item_code: Option<String>,
    /// Kit code.
    pub kit_code: Option<String>,
    /// Sector.
    pub sector: Option<Sector>,
}

impl GoodsFilter {
    /// Whether no goods filter is set.
    pub fn is_empty(&self) -> bool {
        self.item_code.is_none() && self.kit_code.is_none() && self.sector.is_none()
    }
}

/// The catalogue as the insight queries read it: codes and sectors of items and kits.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// Item id to (code, sector).
    pub items: BTreeMap<Uuid, (String, Sector)>,
    /// Kit id to (code, sector, item ids).
    pub kits: BTreeMap<Uuid, (String, Sector, BTreeSet<Uuid>)>,
}

impl Catalogue {
    /// Reads the whole catalogue (a few dozen rows).
    pub async fn load(conn: &impl ConnectionTrait) -> Result<Self> {
        let mut categories: BTreeMap<Uuid, ItemCategory> = BTreeMap::new();
        let mut out = Self::default();
        for i in item::Entity::find().all(conn).await? {
            let category: ItemCategory = decode(&i.category)?;
            categories.insert(i.id, category);
            out.items.insert(i.id, (i.code, sector_of(&[category])));
        }
        let mut contents: BTreeMap<Uuid, BTreeSet<Uuid>> = BTreeMap::new();
        for ki in kit_item::Entity::find().all(conn).await? {
            contents.entry(ki.kit_id).or_default().insert(ki.item_id);
        }
        for k in kit::Entity::find().all(conn).await? {
            let items = contents.remove(&k.id).unwrap_or_default();
            let cats: Vec<ItemCategory> = items
                .iter()
                .filter_map(|i| categories.get(i).copied())
                .collect();
            out.kits.insert(k.id, (k.code, sector_of(&cats), items));
        }
        Ok(out)
    }

    /// The code and sector of a line's goods.
    pub fn goods(&self, item_id: Option<Uuid>, kit_id: Option<Uuid>) -> (String, Sector) {
        if let Some((code, sector)) = item_id.and_then(|i| self.items.get(&i)) {
            return (code.clone(), *sector);
        }
        if let Some((code, sector, _)) = kit_id.and_then(|k| self.kits.get(&k)) {
            return (code.clone(), *sector);
        }
        (String::new(), Sector::ShelterNfi)
    }

    /// The item and kit ids whose lines match `filter` (unknown codes are the caller's
    /// error, reported at `goods.itemCode` / `goods.kitCode`).
    pub fn matching(&self, filter: &GoodsFilter) -> Result<(Vec<Uuid>, Vec<Uuid>)> {
        let find_item = |code: &str| {
            self.items
                .iter()
                .find(|(_, (c, _))| c.eq_ignore_ascii_case(code))
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    camptrack_domain::Invalid::one("goods.itemCode", format!("no item {code}"))
                })
        };
        let item = filter.item_code.as_deref().map(find_item).transpose()?;
        let kit = filter
            .kit_code
            .as_deref()
            .map(|code| {
                self.kits
                    .iter()
                    .find(|(_, (c, _, _))| c.eq_ignore_ascii_case(code))
                    .map(|(id, _)| *id)
                    .ok_or_else(|| {
                        camptrack_domain::Invalid::one("goods.kitCode", format!("no kit {code}"))
                    })
            })
            .transpose()?;
        let items = self
            .items
            .iter()
            .filter(|(id, (_, sector))| {
                kit.is_none()
                    && item.is_none_or(|i| i == **id)
                    && filter.sector.is_none_or(|s| s == *sector)
            })
            .map(|(id, _)| *id)
            .collect();
        let kits = self
            .kits
            .iter()
            .filter(|(id, (_, sector, contents))| {
                kit.is_none_or(|k| k == **id)
                    && item.is_none_or(|i| contents.contains(&i))
                    && filter.sector.is_none_or(|s| s == *sector)
            })
            .map(|(id, _)| *id)
            .collect();
        Ok((items, kits))
    }
}

/// A distribution as the insight queries read it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Dist {
    /// Its id.
    pub id: Uuid,
    /// The site.
    pub site_id: Uuid,
    /// Implementing organisation.
    pub implementing_org_id: Uuid,
    /// Funding organisation.
    pub funding_org_id: Option<Uuid>,
    /// Project code.
    pub project_code: Option<String>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, when it ran more than one.
    pub ends_on: Option<NaiveDate>,
    /// Status code.
    pub status: String,
    /// Modality code.
    pub modality: String,
    /// Households reached.
    pub households: i64,
    /// Individuals reached.
    pub individuals: i64,
}

impl Dist {
    /// The status.
    pub fn status(&self) -> Result<DistributionStatus> {
        decode(&self.status)
    }
    /// The modality.
    pub fn modality(&self) -> Result<DistributionModality> {
        decode(&self.modality)
    }
}

/// Which distributions to read.
#[derive(Debug, Clone)]
pub struct DistQuery<'a> {
    /// What the caller may count (from [`Scope`]).
    pub scope: Condition,
    /// Only those that may overlap days on or after this one (none: any start).
    pub from: Option<NaiveDate>,
    /// Only those starting on or before this day.
    pub to: NaiveDate,
    /// Only these statuses.
    pub statuses: &'a [DistributionStatus],
    /// Only those with a line of these goods (none: any goods).
    pub goods: Option<&'a (Vec<Uuid>, Vec<Uuid>)>,
}

/// The distributions at `site_ids` matching `q`, in SQL: the dates (starting by `to`, and
/// ending on or after `from`, an open-ended one on its first day), statuses, goods and scope.
pub async fn distributions_at(
    conn: &impl ConnectionTrait,
    site_ids: &[Uuid],
    q: &DistQuery<'_>,
) -> Result<Vec<Dist>> {
    use distribution::Column as D;
    let mut base = Condition::all()
        .add(q.scope.clone())
        .add(D::StartsOn.lte(q.to))
        .add(D::Status.is_in(q.statuses.iter().map(ToString::to_string)));
    if let Some(from) = q.from {
        base = base.add(
            Condition::any().add(D::EndsOn.gte(from)).add(
                Condition::all()
                    .add(D::EndsOn.is_null())
                    .add(D::StartsOn.gte(from)),
            ),
        );
    }
    if let Some((items, kits)) = q.goods {
        let lines = Query::select()
            .column(distribution_line::Column::DistributionId)
            .from(distribution_line::Entity)
            .cond_where(
                Condition::any()
                    .add(distribution_line::Column::ItemId.is_in(items.iter().copied()))
                    .add(distribution_line::Column::KitId.is_in(kits.iter().copied())),
            )
            .to_owned();
        base = base.add(D::Id.in_subquery(lines));
    }
    let mut out = Vec::new();
    for chunk in site_ids.chunks(IDS_PER_QUERY) {
        let rows = distribution::Entity::find()
            .select_only()
            .columns([
                D::Id,
                D::SiteId,
                D::ImplementingOrgId,
                D::FundingOrgId,
                D::ProjectCode,
                D::StartsOn,
                D::EndsOn,
                D::Status,
                D::Modality,
                D::Households,
                D::Individuals,
            ])
            .filter(base.clone())
            .filter(D::SiteId.is_in(chunk.iter().copied()))
            .order_by_asc(D::Id)
            .into_model::<Dist>()
            .all(conn)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// The lines of `ids`: (distribution, item, kit, quantity distributed).
pub async fn lines_of(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, Option<Uuid>, Option<Uuid>, i64)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let rows = distribution_line::Entity::find()
            .filter(distribution_line::Column::DistributionId.is_in(chunk.iter().copied()))
            .order_by_asc(distribution_line::Column::DistributionId)
            .order_by_asc(distribution_line::Column::LineNo)
            .all(conn)
            .await?;
        out.extend(rows.into_iter().map(|l| {
            (
                l.distribution_id,
                l.item_id,
                l.kit_id,
                l.quantity_distributed,
            )
        }));
    }
    Ok(out)
}

/// Resolves a goods filter against the catalogue (`None` when empty).
pub async fn goods_ids(
    conn: &impl ConnectionTrait,
    filter: &GoodsFilter,
) -> Result<Option<(Vec<Uuid>, Vec<Uuid>)>> {
    if filter.is_empty() {
        return Ok(None);
    }
    Ok(Some(Catalogue::load(conn).await?.matching(filter)?))
}
