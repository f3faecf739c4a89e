//! Site gaps: sites with no distribution in the last N days, stale sites, arrivals spikes.

use camptrack_domain::codes::DistributionStatus;
use camptrack_domain::insight::{LookBack, SpikeRule, SpikeTest, last_day_by};
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use std::collections::BTreeMap;
use uuid::Uuid;

use super::{
    DistQuery, GoodsFilter, Keyset, distributions_at, goods_ids, histories, open_sites, page,
};
use crate::storage::Result;
use crate::storage::area::ResolvedArea;
use crate::storage::page::Page;
use crate::storage::scope::Scope;

/// Statuses that reach households (see [`camptrack_domain::insight::reaches`]).
pub const REACHING: [DistributionStatus; 2] =
    [DistributionStatus::Completed, DistributionStatus::Ongoing];

/// A site's population at a date: its latest counted assessment on or before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Population {
    /// The visit date of that assessment.
    pub assessed_on: NaiveDate,
    /// Households.
    pub households: i64,
    /// Individuals.
    pub individuals: i64,
}

/// A site with no (matching) distribution in the look-back window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undistributed {
    /// The site.
    pub site_id: Uuid,
    /// Its population at `asOf` (none when never assessed by then).
    pub population: Option<Population>,
    /// The last day of its last matching distribution on or before `asOf`, if any.
    pub last_distribution_on: Option<NaiveDate>,
}

/// Open sites at `look.as_of` in `area` with no reaching (`COMPLETED` or `ONGOING`)
/// distribution of the goods running on any day from `look.since()` to `look.as_of`,
/// ordered by site id. Every organisation's distributions count
/// ([`Scope::distributions_in_aggregates`]).
pub async fn undistributed(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    look: LookBack,
    goods: &GoodsFilter,
    keyset: &Keyset,
) -> Result<Page<Undistributed>> {
    let open: Vec<Uuid> = open_sites(conn, scope, area, look.as_of)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let goods = goods_ids(conn, goods).await?;
    let q = DistQuery {
        scope: scope.distributions_in_aggregates(),
        from: None,
        to: look.as_of,
        statuses: &REACHING,
        goods: goods.as_ref(),
    };
    let mut last: BTreeMap<Uuid, NaiveDate> = BTreeMap::new();
    for d in distributions_at(conn, &open, &q).await? {
        if let Some(day) = last_day_by(d.starts_on, d.ends_on, look.as_of) {
            let slot = last.entry(d.site_id).or_insert(day);
            *slot = (*slot).max(day);
        }
    }
    let since = look.since();
    let rows: Vec<Undistributed> = open
        .into_iter()
        .filter(|id| last.get(id).is_none_or(|d| *d < since))
        .map(|site_id| Undistributed {
            site_id,
            population: None,
            last_distribution_on: last.get(&site_id).copied(),
        })
        .collect();
    let mut out = page(rows, |r| r.site_id.to_string(), keyset);
    // Figures only for the page's sites.
    let ids: Vec<Uuid> = out.items.iter().map(|r| r.site_id).collect();
    let latest = histories(conn, &ids, look.as_of, 1).await?;
    for row in &mut out.items {
        row.population = latest
            .get(&row.site_id)
            .and_then(|h| h.first())
            .map(|a| Population {
                assessed_on: a.assessed_on,
                households: a.households,
                individuals: a.individuals,
            });
    }
    Ok(out)
}

/// An open site not assessed within the look-back window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The site.
    pub site_id: Uuid,
    /// Its latest counted assessment on or before `asOf` (none: never assessed by then).
    pub population: Option<Population>,
    /// Days from that visit to `asOf` (none when never assessed).
    pub days_since: Option<i64>,
}

/// Open sites at `look.as_of` in `area` whose latest counted assessment on or before it is
/// older than `look.since()`, or which have none (never assessed), ordered by site id.
pub async fn stale(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    look: LookBack,
    keyset: &Keyset,
) -> Result<Page<Stale>> {
    let open: Vec<Uuid> = open_sites(conn, scope, area, look.as_of)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let latest = histories(conn, &open, look.as_of, 1).await?;
    let since = look.since();
    let rows: Vec<Stale> = open
        .into_iter()
        .filter_map(|site_id| {
            let a = latest.get(&site_id).and_then(|h| h.first());
            if a.is_some_and(|a| a.assessed_on >= since) {
                return None;
            }
            Some(Stale {
                site_id,
                population: a.map(|a| Population {
                    assessed_on: a.assessed_on,
                    households: a.households,
                    individuals: a.individuals,
                }),
                days_since: a.map(|a| (look.as_of - a.assessed_on).num_days()),
            })
        })
        .collect();
    Ok(page(rows, |r| r.site_id.to_string(), keyset))
}

/// A site whose latest arrivals figure is a spike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spike {
    /// The site.
    pub site_id: Uuid,
    /// Its latest counted assessment on or before `asOf`.
    pub population: Population,
    /// Arrivals in the 3 months before that visit.
    pub arrivals: i64,
    /// The previous counted assessment's visit date, if any.
    pub previous_assessed_on: Option<NaiveDate>,
    /// Its arrivals, when reported.
    pub previous_arrivals: Option<i64>,
    /// The rules that fired.
    pub rules: Vec<SpikeRule>,
}

/// Open sites at `as_of` in `area` whose latest counted assessment on or before it reports
/// arrivals that break `test` (against the previous counted assessment's arrivals),
/// ordered by site id.
pub async fn spikes(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    as_of: NaiveDate,
    test: SpikeTest,
    keyset: &Keyset,
) -> Result<Page<Spike>> {
    let open: Vec<Uuid> = open_sites(conn, scope, area, as_of)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let history = histories(conn, &open, as_of, 2).await?;
    let rows: Vec<Spike> = history
        .into_iter()
        .filter_map(|(site_id, h)| {
            let latest = h.first()?;
            let previous = h.get(1);
            let rules = test.fired(latest.arrivals, previous.and_then(|p| p.arrivals));
            (!rules.is_empty()).then(|| Spike {
                site_id,
                population: Population {
                    assessed_on: latest.assessed_on,
                    households: latest.households,
                    individuals: latest.individuals,
                },
                arrivals: latest.arrivals.unwrap_or(0),
                previous_assessed_on: previous.map(|p| p.assessed_on),
                previous_arrivals: previous.and_then(|p| p.arrivals),
                rules,
            })
        })
        .collect();
    Ok(page(rows, |r| r.site_id.to_string(), keyset))
}
