//! The 4W/5W roll-up: who (implementing and funding organisation), what (sector, goods,
//! modality), where (admin areas, H3 cell), when (month, first and last day), for whom
//! (households and individuals reached), and status, from the distributions the caller
//! may read as rows ([`Scope::distributions`]).

use std::collections::{BTreeMap, BTreeSet};

use camptrack_domain::codes::{DistributionModality, DistributionStatus, Sector};
use camptrack_domain::insight::overlaps;
use camptrack_geo::Resolution;
use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Catalogue, DistQuery, GoodsFilter, Keyset, distributions_at, lines_of, page, sites};
use crate::storage::Result;
use crate::storage::area::{LocatedSite, ResolvedArea};
use crate::storage::entities::organisation;
use crate::storage::page::Page;
use crate::storage::scope::Scope;

/// What a 4W row may be grouped by. Rows are keyed in this order whatever order the
/// caller names them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    /// The implementing organisation (who).
    ImplementingOrganisation,
    /// The funding organisation (who funds).
    FundingOrganisation,
    /// The project code.
    Project,
    /// The cluster sector of the goods (what).
    Sector,
    /// The item or kit code (what).
    Goods,
    /// The modality: the activity (in-kind, cash or voucher distribution).
    Modality,
    /// The status.
    Status,
    /// The site's admin1 p-code (where).
    Admin1,
    /// The site's admin2 p-code (where).
    Admin2,
    /// The H3 cell of the site's point at the roll-up's resolution (where).
    Cell,
    /// The month of the first day (when).
    Month,
}

/// A 4W group: the values of the grouped dimensions (others are `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// Implementing organisation id and code.
    pub implementing: Option<(Uuid, String)>,
    /// Funding organisation id and code.
    pub funding: Option<(Uuid, String)>,
    /// Project code.
    pub project: Option<String>,
    /// Sector.
    pub sector: Option<Sector>,
    /// Item or kit code.
    pub goods: Option<String>,
    /// Modality.
    pub modality: Option<DistributionModality>,
    /// Status.
    pub status: Option<DistributionStatus>,
    /// Admin1 p-code.
    pub admin1: Option<String>,
    /// Admin2 p-code.
    pub admin2: Option<String>,
    /// Cell.
    pub cell: Option<camptrack_geo::Cell>,
    /// First day of the month.
    pub month: Option<NaiveDate>,
}

/// Sums of one 4W group (or of all rows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measures {
    /// Distributions.
    pub distributions: i64,
    /// Distinct sites.
    pub sites: i64,
    /// Households reached (each distribution counted once per group).
    pub households: i64,
    /// Individuals reached.
    pub individuals: i64,
    /// Units distributed (items or whole kits), only when grouped by goods.
    pub quantity: Option<i64>,
    /// First day of the earliest distribution.
    pub first_day: Option<NaiveDate>,
    /// Last day of the latest distribution.
    pub last_day: Option<NaiveDate>,
}

/// One 4W row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRow {
    /// The key: the grouped values joined with `|` in [`Dimension`] order.
    pub key: String,
    /// The grouped values.
    pub group: Group,
    /// Its sums.
    pub measures: Measures,
}

/// What the roll-up covers and how it groups.
#[derive(Debug, Clone)]
pub struct RollUp {
    /// Distributions running on any day from `from` to `to`.
    pub period: (NaiveDate, NaiveDate),
    /// Dimensions grouped by (none: one row).
    pub by: BTreeSet<Dimension>,
    /// Resolution of [`Dimension::Cell`].
    pub resolution: Option<Resolution>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<DistributionStatus>,
    /// Only distributions with a line of these goods.
    pub goods: GoodsFilter,
}

#[derive(Default)]
struct Acc {
    distributions: BTreeSet<Uuid>,
    sites: BTreeSet<Uuid>,
    quantity: i64,
    households: i64,
    individuals: i64,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
}

impl Acc {
    fn add(&mut self, d: &super::Dist, quantity: i64) {
        self.quantity += quantity;
        if self.distributions.insert(d.id) {
            self.households += d.households;
            self.individuals += d.individuals;
            self.sites.insert(d.site_id);
            let end = d.ends_on.unwrap_or(d.starts_on).max(d.starts_on);
            self.first = Some(self.first.map_or(d.starts_on, |f| f.min(d.starts_on)));
            self.last = Some(self.last.map_or(end, |l| l.max(end)));
        }
    }

    fn finish(self, with_quantity: bool) -> Measures {
        Measures {
            distributions: self.distributions.len() as i64,
            sites: self.sites.len() as i64,
            households: self.households,
            individuals: self.individuals,
            quantity: with_quantity.then_some(self.quantity),
            first_day: self.first,
            last_day: self.last,
        }
    }
}

/// The 4W roll-up over the distributions the caller may read ([`Scope::distributions`]) at
/// sites in `area`, grouped per `roll_up`, ordered by key; with the totals over every row
/// (each distribution counted once).
pub async fn activities(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    roll_up: &RollUp,
    keyset: &Keyset,
) -> Result<(Page<ActivityRow>, Measures)> {
    let located: BTreeMap<Uuid, LocatedSite> = sites(conn, scope, area)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let ids: Vec<Uuid> = located.keys().copied().collect();
    let catalogue = Catalogue::load(conn).await?;
    let goods = if roll_up.goods.is_empty() {
        None
    } else {
        Some(catalogue.matching(&roll_up.goods)?)
    };
    let statuses = if roll_up.statuses.is_empty() {
        <DistributionStatus as camptrack_domain::CodeList>::ALL.to_vec()
    } else {
        roll_up.statuses.clone()
    };
    let (from, to) = roll_up.period;
    let q = DistQuery {
        scope: scope.distributions(),
        from: Some(from),
        to,
        statuses: &statuses,
        goods: goods.as_ref(),
    };
    let dists: Vec<super::Dist> = distributions_at(conn, &ids, &q)
        .await?
        .into_iter()
        .filter(|d| overlaps(d.starts_on, d.ends_on, from, to))
        .collect();
    let by = &roll_up.by;
    let by_line = by.contains(&Dimension::Sector) || by.contains(&Dimension::Goods);
    let mut lines: BTreeMap<Uuid, Vec<(String, Sector, i64)>> = BTreeMap::new();
    if by_line {
        let dist_ids: Vec<Uuid> = dists.iter().map(|d| d.id).collect();
        for (dist, item, kit, quantity) in lines_of(conn, &dist_ids).await? {
            let (code, sector) = catalogue.goods(item, kit);
            lines
                .entry(dist)
                .or_default()
                .push((code, sector, quantity));
        }
    }
    let mut org_ids: BTreeSet<Uuid> = BTreeSet::new();
    for d in &dists {
        org_ids.insert(d.implementing_org_id);
        org_ids.extend(d.funding_org_id);
    }
    let codes: BTreeMap<Uuid, String> = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(org_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.code))
        .collect();
    let org = |id: Uuid| (id, codes.get(&id).cloned().unwrap_or_default());
    let mut groups: BTreeMap<String, (Group, Acc)> = BTreeMap::new();
    let mut totals = Acc::default();
    for d in &dists {
        let site = located.get(&d.site_id);
        let mut group = Group::default();
        let on = |dim| by.contains(&dim);
        if on(Dimension::ImplementingOrganisation) {
            group.implementing = Some(org(d.implementing_org_id));
        }
        if on(Dimension::FundingOrganisation) {
            group.funding = d.funding_org_id.map(org);
        }
        if on(Dimension::Project) {
            group.project = d.project_code.clone();
        }
        if on(Dimension::Modality) {
            group.modality = Some(d.modality()?);
        }
        if on(Dimension::Status) {
            group.status = Some(d.status()?);
        }
        if on(Dimension::Admin1) {
            group.admin1 = site.and_then(|s| s.admin[1].clone());
        }
        if on(Dimension::Admin2) {
            group.admin2 = site.and_then(|s| s.admin[2].clone());
        }
        if on(Dimension::Cell) {
            group.cell = site
                .zip(roll_up.resolution)
                .map(|(s, r)| s.location.cell_at(r));
        }
        if on(Dimension::Month) {
            group.month = d.starts_on.with_day(1);
        }
        totals.add(d, 0);
        let mut variants: Vec<(Group, i64)> = Vec::new();
        if by_line {
            for (code, sector, quantity) in lines.get(&d.id).into_iter().flatten() {
                let mut g = group.clone();
                if on(Dimension::Sector) {
                    g.sector = Some(*sector);
                }
                if on(Dimension::Goods) {
                    g.goods = Some(code.clone());
                }
                variants.push((g, *quantity));
            }
        } else {
            variants.push((group, 0));
        }
        for (g, quantity) in variants {
            let key = key_of(&g, by);
            groups
                .entry(key)
                .or_insert_with(|| (g, Acc::default()))
                .1
                .add(d, quantity);
        }
    }
    let with_quantity = by.contains(&Dimension::Goods);
    let rows: Vec<ActivityRow> = groups
        .into_iter()
        .map(|(key, (group, acc))| ActivityRow {
            key,
            group,
            measures: acc.finish(with_quantity),
        })
        .collect();
    Ok((page(rows, |r| r.key.clone(), keyset), totals.finish(false)))
}

fn key_of(g: &Group, by: &BTreeSet<Dimension>) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    by.iter()
        .map(|dim| match dim {
            Dimension::ImplementingOrganisation => g
                .implementing
                .as_ref()
                .map(|o| o.1.clone())
                .unwrap_or_default(),
            Dimension::FundingOrganisation => {
                g.funding.as_ref().map(|o| o.1.clone()).unwrap_or_default()
            }
            Dimension::Project => opt(&g.project),
            Dimension::Sector => g.sector.map(|s| s.to_string()).unwrap_or_default(),
            Dimension::Goods => opt(&g.goods),
            Dimension::Modality => g.modality.map(|s| s.to_string()).unwrap_or_default(),
            Dimension::Status => g.status.map(|s| s.to_string()).unwrap_or_default(),
            Dimension::Admin1 => opt(&g.admin1),
            Dimension::Admin2 => opt(&g.admin2),
            Dimension::Cell => g.cell.map(|c| c.to_string()).unwrap_or_default(),
            Dimension::Month => g.month.map(|m| m.to_string()).unwrap_or_default(),
        })
        .collect::<Vec<_>>()
        .join("|")
}
