//! Origin-to-host flows: displaced households and individuals by origin admin area (the
//! majority origin on each site's latest counted assessment) and host admin area (the
//! site's p-code).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{Keyset, histories, open_sites, page};
use crate::storage::Result;
use crate::storage::area::{LocatedSite, ResolvedArea};
use crate::storage::page::Page;
use crate::storage::scope::Scope;

/// Households and individuals from one origin in one host area.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flow {
    /// Origin p-code at the level (none: origin not reported).
    pub origin: Option<String>,
    /// Host p-code at the level (none: the site carries none at the level).
    pub host: Option<String>,
    /// Assessed open sites contributing.
    pub sites: i64,
    /// Households.
    pub households: i64,
    /// Individuals.
    pub individuals: i64,
}

impl Flow {
    /// The row's key: `origin|host`, empty for a missing p-code.
    pub fn key(&self) -> String {
        format!(
            "{}|{}",
            self.origin.as_deref().unwrap_or(""),
            self.host.as_deref().unwrap_or("")
        )
    }
}

/// Over the sites in `area` open on `as_of` with a counted assessment on or before it: each
/// site's latest such assessment's households and individuals, grouped by its majority
/// origin p-code at `level` (1 or 2, the levels assessments record) and the site's own
/// p-code at the same level, ordered by `origin|host`.
pub async fn flows(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: Option<&ResolvedArea>,
    as_of: NaiveDate,
    level: usize,
    keyset: &Keyset,
) -> Result<Page<Flow>> {
    let open: Vec<LocatedSite> = open_sites(conn, scope, area, as_of)
        .await?
        .into_iter()
        .collect();
    let ids: Vec<Uuid> = open.iter().map(|s| s.id).collect();
    let latest = histories(conn, &ids, as_of, 1).await?;
    let mut groups: BTreeMap<String, Flow> = BTreeMap::new();
    for site in &open {
        let Some(a) = latest.get(&site.id).and_then(|h| h.first()) else {
            continue;
        };
        let mut flow = Flow {
            origin: a.origin[level.saturating_sub(1).min(1)].clone(),
            host: site.admin[level].clone(),
            ..Flow::default()
        };
        let row = groups
            .entry(flow.key())
            .or_insert_with(|| std::mem::take(&mut flow));
        row.sites += 1;
        row.households += a.households;
        row.individuals += a.individuals;
    }
    Ok(page(groups.into_values().collect(), Flow::key, keyset))
}
