//! Multi-partner coverage: sites reached by more than one organisation in a period, the
//! households each reports, and the double counting that may hide.

use std::collections::BTreeMap;

use camptrack_domain::insight::{DoubleCounting, double_counting, overlaps};
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::gaps::{Population, REACHING};
use super::{DistQuery, Keyset, distributions_at, histories, page, sites};
use crate::storage::Result;
use crate::storage::area::ResolvedArea;
use crate::storage::page::Page;
use crate::storage::scope::Scope;

/// What one organisation reports at a site in the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrganisationReach {
    /// The implementing organisation.
    pub organisation_id: Uuid,
    /// Its distributions.
    pub distributions: i64,
    /// Households it reports reached (summed over its distributions).
    pub households: i64,
    /// Individuals it reports reached.
    pub individuals: i64,
}

/// A site reached by several organisations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiPartner {
    /// The site.
    pub site_id: Uuid,
    /// Its population at the end of the period, when assessed by then.
    pub population: Option<Population>,
    /// Each organisation's reach, by organisation id.
    pub organisations: Vec<OrganisationReach>,
    /// The double counting the reports may hide.
    pub double_counting: DoubleCounting,
}

/// Sites in `area` where reaching distributions running on any day from `from` to `to`
/// come from two or more implementing organisations, ordered by site id. Every
/// organisation's distributions count ([`Scope::distributions_in_aggregates`]).
pub async fn multi_partner(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    (from, to): (NaiveDate, NaiveDate),
    keyset: &Keyset,
) -> Result<Page<MultiPartner>> {
    let ids: Vec<Uuid> = sites(conn, scope, area)
        .await?
        .iter()
        .map(|s| s.id)
        .collect();
    let q = DistQuery {
        scope: scope.distributions_in_aggregates(),
        from: Some(from),
        to,
        statuses: &REACHING,
        goods: None,
    };
    let mut per_site: BTreeMap<Uuid, BTreeMap<Uuid, OrganisationReach>> = BTreeMap::new();
    for d in distributions_at(conn, &ids, &q).await? {
        if !overlaps(d.starts_on, d.ends_on, from, to) {
            continue;
        }
        let r = per_site
            .entry(d.site_id)
            .or_default()
            .entry(d.implementing_org_id)
            .or_insert(OrganisationReach {
                organisation_id: d.implementing_org_id,
                ..OrganisationReach::default()
            });
        r.distributions += 1;
        r.households += d.households;
        r.individuals += d.individuals;
    }
    let rows: Vec<MultiPartner> = per_site
        .into_iter()
        .filter(|(_, orgs)| orgs.len() > 1)
        .map(|(site_id, orgs)| MultiPartner {
            site_id,
            population: None,
            organisations: orgs.into_values().collect(),
            double_counting: DoubleCounting::default(),
        })
        .collect();
    let mut out = page(rows, |r| r.site_id.to_string(), keyset);
    let page_ids: Vec<Uuid> = out.items.iter().map(|r| r.site_id).collect();
    let latest = histories(conn, &page_ids, to, 1).await?;
    for row in &mut out.items {
        let a = latest.get(&row.site_id).and_then(|h| h.first());
        row.population = a.map(|a| Population {
            assessed_on: a.assessed_on,
            households: a.households,
            individuals: a.individuals,
        });
        let reached: Vec<i64> = row.organisations.iter().map(|o| o.households).collect();
        row.double_counting = double_counting(&reached, a.map_or(0, |a| a.households));
    }
    Ok(out)
}
