//! Displacement figures for sets of sites, by the rules of design.md: an area's figures at a
//! date are the sum, over its sites open that day, of each site's latest counted assessment
//! on or before it (never a sum across rounds). The latest order is (assessed_on, round
//! number, captured_at, id); `REJECTED` assessments do not count.

use std::collections::BTreeMap;

use camptrack_domain::codes::{ReviewStatus, Sex};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::area::LocatedSite;
use super::entities::{assessment_sadd, site_assessment};
use super::{Result, decode};

/// Ids per `IN (...)` list.
const IDS_PER_QUERY: usize = 500;

/// One site's figures from its chosen assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteFigures {
    /// The assessment they come from.
    pub assessment_id: Option<Uuid>,
    /// Households.
    pub households: i64,
    /// Individuals.
    pub individuals: i64,
    /// Arrivals in the 3 months before the visit.
    pub arrivals: i64,
    /// Departures in the 3 months before the visit.
    pub departures: i64,
}

/// A SADD total: people of one sex in one exact band, summed over sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SaddTotal {
    /// Sex.
    pub sex: Sex,
    /// Youngest age in the band.
    pub age_min: i16,
    /// Oldest age in the band, `None` when open.
    pub age_max: Option<i16>,
    /// People.
    pub count: i64,
}

/// Figures summed over a group of sites.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Sites open at the date.
    pub sites: i64,
    /// Of those, sites with a counted assessment on or before the date.
    pub assessed_sites: i64,
    /// Households.
    pub households: i64,
    /// Individuals.
    pub individuals: i64,
    /// Arrivals in the past 3 months (as of each site's visit).
    pub arrivals: i64,
    /// Departures in the past 3 months (as of each site's visit).
    pub departures: i64,
    /// SADD per exact band.
    pub sadd: Vec<SaddTotal>,
}

impl Totals {
    /// Adds one open site and its figures (if assessed) and SADD rows.
    pub fn add(&mut self, figures: Option<&SiteFigures>, sadd: &[SaddTotal]) {
        self.sites += 1;
        if let Some(f) = figures {
            self.assessed_sites += 1;
            self.households += f.households;
            self.individuals += f.individuals;
            self.arrivals += f.arrivals;
            self.departures += f.departures;
        }
        for row in sadd {
            match self
                .sadd
                .iter_mut()
                .find(|t| (t.sex, t.age_min, t.age_max) == (row.sex, row.age_min, row.age_max))
            {
                Some(t) => t.count += row.count,
                None => self.sadd.push(*row),
            }
        }
    }

    fn finish(mut self) -> Self {
        self.sadd.sort_unstable();
        self
    }
}

/// The figures of each site open at `as_of` (today when `None`, using the sites' current
/// figures), with their SADD rows.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The open sites with their figures (`None` when never assessed by then).
    pub sites: Vec<(LocatedSite, Option<SiteFigures>)>,
    sadd: BTreeMap<Uuid, Vec<SaddTotal>>,
}

impl Snapshot {
    /// Sums the sites for which `key` gives a group, per group.
    pub fn group_by<K: Ord>(&self, key: impl Fn(&LocatedSite) -> Option<K>) -> BTreeMap<K, Totals> {
        let mut groups: BTreeMap<K, Totals> = BTreeMap::new();
        for (site, figures) in &self.sites {
            if let Some(k) = key(site) {
                let sadd = figures
                    .as_ref()
                    .and_then(|f| f.assessment_id)
                    .and_then(|id| self.sadd.get(&id));
                groups
                    .entry(k)
                    .or_default()
                    .add(figures.as_ref(), sadd.map_or(&[], Vec::as_slice));
            }
        }
        groups.into_iter().map(|(k, t)| (k, t.finish())).collect()
    }

    /// Sums every site.
    pub fn total(&self) -> Totals {
        self.group_by(|_| Some(())).remove(&()).unwrap_or_default()
    }
}

/// Takes the figures of `sites` at `as_of`.
pub async fn snapshot(
    conn: &impl ConnectionTrait,
    sites: Vec<LocatedSite>,
    as_of: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Snapshot> {
    let day = as_of.unwrap_or(today);
    let open: Vec<LocatedSite> = sites.into_iter().filter(|s| s.is_open_on(day)).collect();
    let chosen: BTreeMap<Uuid, Uuid> = match as_of {
        None => open
            .iter()
            .filter_map(|s| s.current_assessment_id.map(|a| (s.id, a)))
            .collect(),
        Some(day) => {
            let ids: Vec<Uuid> = open.iter().map(|s| s.id).collect();
            let mut chosen = BTreeMap::new();
            for history in counted_history(conn, &ids, day).await? {
                chosen
                    .entry(history.site_id)
                    .or_insert(history.figures.assessment_id.unwrap_or_default());
            }
            chosen
        }
    };
    let assessment_ids: Vec<Uuid> = chosen.values().copied().collect();
    let figures = figures_of(conn, &assessment_ids).await?;
    let sadd = sadd_of(conn, &assessment_ids).await?;
    let sites = open
        .into_iter()
        .map(|s| {
            let f = chosen.get(&s.id).and_then(|a| figures.get(a)).cloned();
            (s, f)
        })
        .collect();
    Ok(Snapshot { sites, sadd })
}

/// One counted assessment in a site's history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// The site.
    pub site_id: Uuid,
    /// The visit date.
    pub assessed_on: NaiveDate,
    /// The figures.
    pub figures: SiteFigures,
}

/// The columns read for figures.
#[derive(Debug, FromQueryResult)]
struct FigureRow {
    site_id: Uuid,
    id: Uuid,
    assessed_on: NaiveDate,
    households: i64,
    individuals: i64,
    arrivals3m: Option<i64>,
    departures3m: Option<i64>,
}

impl From<FigureRow> for HistoryEntry {
    fn from(r: FigureRow) -> Self {
        Self {
            site_id: r.site_id,
            assessed_on: r.assessed_on,
            figures: SiteFigures {
                assessment_id: Some(r.id),
                households: r.households,
                individuals: r.individuals,
                arrivals: r.arrivals3m.unwrap_or(0),
                departures: r.departures3m.unwrap_or(0),
            },
        }
    }
}

fn select_figures() -> sea_orm::Select<site_assessment::Entity> {
    site_assessment::Entity::find().select_only().columns([
        site_assessment::Column::SiteId,
        site_assessment::Column::Id,
        site_assessment::Column::AssessedOn,
        site_assessment::Column::Households,
        site_assessment::Column::Individuals,
        site_assessment::Column::Arrivals3m,
        site_assessment::Column::Departures3m,
    ])
}

/// The counted assessments of `site_ids` on or before `until`, per site latest first.
pub async fn counted_history(
    conn: &impl ConnectionTrait,
    site_ids: &[Uuid],
    until: NaiveDate,
) -> Result<Vec<HistoryEntry>> {
    let mut out = Vec::new();
    for chunk in site_ids.chunks(IDS_PER_QUERY) {
        let rows = select_figures()
            .filter(site_assessment::Column::SiteId.is_in(chunk.iter().copied()))
            .filter(site_assessment::Column::ReviewStatus.ne(ReviewStatus::Rejected.to_string()))
            .filter(site_assessment::Column::AssessedOn.lte(until))
            .order_by_asc(site_assessment::Column::SiteId)
            .order_by_desc(site_assessment::Column::AssessedOn)
            .order_by_desc(site_assessment::Column::RoundNumber)
            .order_by_desc(site_assessment::Column::CapturedAt)
            .order_by_desc(site_assessment::Column::Id)
            .into_model::<FigureRow>()
            .all(conn)
            .await?;
        out.extend(rows.into_iter().map(HistoryEntry::from));
    }
    Ok(out)
}

async fn figures_of(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<BTreeMap<Uuid, SiteFigures>> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let rows = select_figures()
            .filter(site_assessment::Column::Id.is_in(chunk.iter().copied()))
            .into_model::<FigureRow>()
            .all(conn)
            .await?;
        for row in rows {
            let entry = HistoryEntry::from(row);
            out.insert(
                entry.figures.assessment_id.unwrap_or_default(),
                entry.figures,
            );
        }
    }
    Ok(out)
}

async fn sadd_of(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<BTreeMap<Uuid, Vec<SaddTotal>>> {
    let mut out: BTreeMap<Uuid, Vec<SaddTotal>> = BTreeMap::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let rows = assessment_sadd::Entity::find()
            .filter(assessment_sadd::Column::AssessmentId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        for r in rows {
            out.entry(r.assessment_id).or_default().push(SaddTotal {
                sex: decode(&r.sex)?,
                age_min: r.age_min,
                age_max: r.age_max,
                count: r.count,
            });
        }
    }
    Ok(out)
}

/// When a trend point's figures are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day of the period.
    pub start: NaiveDate,
    /// Last day: the figures are those at the end of this day.
    pub end: NaiveDate,
}

/// The figures of `sites` at the end of each period, by the latest-per-site rule.
pub async fn trend(
    conn: &impl ConnectionTrait,
    sites: &[LocatedSite],
    periods: &[Period],
) -> Result<Vec<Totals>> {
    let Some(last) = periods.iter().map(|p| p.end).max() else {
        return Ok(Vec::new());
    };
    let ids: Vec<Uuid> = sites.iter().map(|s| s.id).collect();
    let mut history: BTreeMap<Uuid, Vec<HistoryEntry>> = BTreeMap::new();
    for entry in counted_history(conn, &ids, last).await? {
        history.entry(entry.site_id).or_default().push(entry);
    }
    Ok(periods
        .iter()
        .map(|period| {
            let mut totals = Totals::default();
            for site in sites.iter().filter(|s| s.is_open_on(period.end)) {
                // Each site's history is latest first: the first entry on or before the end.
                let latest = history
                    .get(&site.id)
                    .and_then(|h| h.iter().find(|e| e.assessed_on <= period.end));
                totals.add(latest.map(|e| &e.figures), &[]);
            }
            totals
        })
        .collect())
}

/// Today on the server's clock.
pub fn today() -> NaiveDate {
    let now: DateTime<Utc> = super::now();
    now.date_naive()
}
