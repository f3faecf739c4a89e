//! Needs versus reached: households in need of NFIs against households reached by
//! distributions in a period, per site, H3 cell or admin area.

use std::collections::BTreeMap;

use camptrack_domain::insight::{gap, in_need_of_nfi, overlaps};
use camptrack_geo::Resolution;
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::gaps::REACHING;
use super::{
    DistQuery, GoodsFilter, Keyset, distributions_at, goods_ids, histories, open_sites, page,
};
use crate::storage::Result;
use crate::storage::area::{LocatedSite, ResolvedArea};
use crate::storage::page::Page;
use crate::storage::scope::Scope;

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One row per site.
    Site,
    /// One row per H3 cell at this resolution (the cell containing the site's point).
    Cell(Resolution),
    /// One row per admin p-code at this level (0-3) on the site.
    Admin(usize),
}

impl Grouping {
    /// The group of `site`, as a sortable key: the site id, the cell's hex string, or the
    /// p-code (empty for sites without one at the level).
    pub fn key(&self, site: &LocatedSite) -> String {
        match self {
            Self::Site => site.id.to_string(),
            Self::Cell(res) => site.location.cell_at(*res).to_string(),
            Self::Admin(level) => site.admin[*level].clone().unwrap_or_default(),
        }
    }
}

/// Needs and reach of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NeedsRow {
    /// The group key (site id, cell hex, p-code; empty: no p-code at the level).
    pub key: String,
    /// Sites open at the end of the period in the group.
    pub sites: i64,
    /// Their households (latest counted assessment on or before the end of the period).
    pub households: i64,
    /// Of those, households in need of NFIs.
    pub households_in_need: i64,
    /// Households reached by distributions in the period.
    pub households_reached: i64,
    /// Individuals reached by distributions in the period.
    pub individuals_reached: i64,
    /// Households in need not reached (never below zero).
    pub gap: i64,
}

/// Over the sites in `area` open on `to`: each site's households in need of NFIs
/// ([`in_need_of_nfi`] on its latest counted assessment on or before `to`) against the
/// households reached by reaching distributions (of the goods) running on any day from
/// `from` to `to`, grouped by `grouping` and ordered by group key. Every organisation's
/// distributions count ([`Scope::distributions_in_aggregates`]).
pub async fn needs_vs_reached(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    (from, to): (NaiveDate, NaiveDate),
    grouping: Grouping,
    goods: &GoodsFilter,
    keyset: &Keyset,
) -> Result<Page<NeedsRow>> {
    let open: Vec<LocatedSite> = open_sites(conn, scope, area, to)
        .await?
        .into_iter()
        .collect();
    let ids: Vec<Uuid> = open.iter().map(|s| s.id).collect();
    let latest = histories(conn, &ids, to, 1).await?;
    let goods = goods_ids(conn, goods).await?;
    let q = DistQuery {
        scope: scope.distributions_in_aggregates(),
        from: Some(from),
        to,
        statuses: &REACHING,
        goods: goods.as_ref(),
    };
    let mut reached: BTreeMap<Uuid, (i64, i64)> = BTreeMap::new();
    for d in distributions_at(conn, &ids, &q).await? {
        if overlaps(d.starts_on, d.ends_on, from, to) {
            let r = reached.entry(d.site_id).or_default();
            r.0 += d.households;
            r.1 += d.individuals;
        }
    }
    let mut groups: BTreeMap<String, NeedsRow> = BTreeMap::new();
    for site in &open {
        let key = grouping.key(site);
        let row = groups.entry(key.clone()).or_insert_with(|| NeedsRow {
            key,
            ..NeedsRow::default()
        });
        row.sites += 1;
        if let Some(a) = latest.get(&site.id).and_then(|h| h.first()) {
            row.households += a.households;
            if in_need_of_nfi(&a.priority_needs) {
                row.households_in_need += a.households;
            }
        }
        if let Some((hh, ind)) = reached.get(&site.id) {
            row.households_reached += hh;
            row.individuals_reached += ind;
        }
    }
    let rows: Vec<NeedsRow> = groups
        .into_values()
        .map(|mut r| {
            r.gap = gap(r.households_in_need, r.households_reached);
            r
        })
        .collect();
    Ok(page(rows, |r| r.key.clone(), keyset))
}
