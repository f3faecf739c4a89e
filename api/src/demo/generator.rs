//! A deterministic, seeded generator of demo data: organisations, admin areas, rounds, sites
//! clustered around real displacement hubs, and their site assessments.
//!
//! The same [`Spec`] always yields the same [`DemoData`] (one ChaCha8 stream, no hash-map
//! iteration). Sites per town follow a Zipf law and households per site a Pareto law, so a
//! few towns and sites hold most people, as in real operations. Assessments are listed in a
//! simulated arrival order: mostly chronological, with about 5% arriving after later rounds'
//! records, as offline enumerators' forms do.

use std::collections::BTreeMap;
use std::f64::consts::TAU;

use camptrack_domain::CodeList;
use camptrack_domain::assessment::{AssessmentFigures, VulnerabilityCount};
use camptrack_domain::codes::{
    DisplacementReason, FormalStatus, ManagementType, OperationalStatus, OrganisationType,
    ReviewStatus, Sector, ShelterCondition, ShelterType, SiteType, Vulnerability,
};
use camptrack_domain::sadd::SaddRow;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::towns::{
    Admin1, Admin2, BANDS, COUNTRIES, Country, INDICATORS, KM_PER_DEGREE, NEEDS, ORGS, Org, Town,
    kind_label, management_type_of, shelter_choices,
};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Seed of the random stream; the same seed gives the same data.
    pub seed: u64,
    /// Number of sites.
    pub sites: usize,
    /// Number of assessment rounds.
    pub rounds: u32,
    /// First day of the first round.
    pub start: NaiveDate,
    /// Days from one round's start to the next.
    pub round_days: u32,
}

impl Spec {
    /// The demo dataset: seed 42, 1,200 sites, 4 quarterly rounds from 2024-01-15.
    pub fn demo() -> Self {
        Self {
            seed: 42,
            sites: 1_200,
            rounds: 4,
            start: first_day(),
            round_days: 91,
        }
    }

    /// A small dataset for tests: 60 sites, 3 rounds.
    pub fn small(seed: u64) -> Self {
        Self {
            seed,
            sites: 60,
            rounds: 3,
            start: first_day(),
            round_days: 91,
        }
    }
}

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 15).unwrap_or_default()
}

/// An organisation to create.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOrganisation {
    /// Unique code, e.g. `IOM`.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Acronym, if any.
    pub acronym: Option<String>,
    /// Kind of organisation.
    pub org_type: OrganisationType,
}

/// An admin area to create; parents come before their children.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAdminArea {
    /// P-code (ISO3 for admin0).
    pub pcode: String,
    /// 0, 1 or 2.
    pub level: u8,
    /// The parent's p-code (none for admin0).
    pub parent: Option<String>,
    /// English name.
    pub name_en: String,
    /// French name, where one is in use.
    pub name_fr: Option<String>,
    /// Closed rings of (lon, lat): the outer ring first, then holes.
    pub polygon: Option<Vec<Vec<(f64, f64)>>>,
}

/// An assessment round to create.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoRound {
    /// Round number, from 1.
    pub number: i32,
    /// Display name.
    pub name: String,
    /// First day of the coverage window.
    pub starts_on: NaiveDate,
    /// Last day of the coverage window.
    pub ends_on: NaiveDate,
}

/// A site to create.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSite {
    /// Unique code: `CCCM-` + admin2 p-code + 4 digits.
    pub code: String,
    /// Display name.
    pub name: String,
    /// CCCM/IASC site type.
    pub site_type: SiteType,
    /// Formal or informal.
    pub formal_status: FormalStatus,
    /// `OPEN` or `CLOSED`.
    pub operational_status: OperationalStatus,
    /// Latitude, 6 decimals.
    pub lat: f64,
    /// Longitude, 6 decimals.
    pub lon: f64,
    /// Admin0 p-code (ISO3).
    pub admin0: String,
    /// Admin1 p-code.
    pub admin1: String,
    /// Admin2 p-code.
    pub admin2: String,
    /// Code of the managing organisation.
    pub management_org: Option<String>,
    /// Kind of site management.
    pub management_type: Option<ManagementType>,
    /// Planned capacity in individuals.
    pub capacity: Option<i64>,
    /// Area in square metres.
    pub area_m2: Option<f64>,
    /// Opening day.
    pub opened_on: NaiveDate,
    /// Closing day, after the opening day.
    pub closed_on: Option<NaiveDate>,
}

/// A site assessment to submit.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAssessment {
    /// The client's UUID for the submission.
    pub client_uuid: Uuid,
    /// Index of the site in [`DemoData::sites`].
    pub site_index: usize,
    /// Round number.
    pub round_number: i32,
    /// Day of the visit.
    pub assessed_on: NaiveDate,
    /// When the device captured the form.
    pub captured_at: DateTime<Utc>,
    /// The figures; they always validate.
    pub figures: AssessmentFigures,
    /// Majority origin admin1.
    pub origin_admin1: Option<String>,
    /// Majority origin admin2.
    pub origin_admin2: Option<String>,
    /// Most common shelter type.
    pub shelter_type: Option<ShelterType>,
    /// Review state.
    pub review_status: ReviewStatus,
    /// Code of the enumerating organisation.
    pub organisation: String,
}

/// Everything a loader inserts; assessments are in simulated arrival order.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoData {
    /// Organisations.
    pub organisations: Vec<DemoOrganisation>,
    /// Admin areas, parents first.
    pub admin_areas: Vec<DemoAdminArea>,
    /// Rounds, by number.
    pub rounds: Vec<DemoRound>,
    /// Sites.
    pub sites: Vec<DemoSite>,
    /// Assessments, in the order they reach the server.
    pub assessments: Vec<DemoAssessment>,
    /// Warehouses, their receipts and transfers, and distributions (a stream of its own).
    pub stock: super::stock::DemoStock,
}

impl DemoData {
    /// For each site, the index in [`DemoData::assessments`] of its latest counted (not
    /// `REJECTED`) assessment on or before `as_of`, latest by (assessed_on, round number,
    /// captured_at, client UUID): a brute-force oracle for tests.
    pub fn latest_per_site(&self, as_of: NaiveDate) -> Vec<Option<usize>> {
        let mut latest: Vec<Option<usize>> = vec![None; self.sites.len()];
        let key =
            |a: &DemoAssessment| (a.assessed_on, a.round_number, a.captured_at, a.client_uuid);
        for (i, a) in self.assessments.iter().enumerate() {
            if a.review_status == ReviewStatus::Rejected || a.assessed_on > as_of {
                continue;
            }
            let slot = &mut latest[a.site_index];
            if slot.is_none_or(|j| key(&self.assessments[j]) < key(a)) {
                *slot = Some(i);
            }
        }
        latest
    }
}

/// One town with the areas around it.
struct Place {
    country: &'static Country,
    admin1: &'static Admin1,
    admin2: &'static Admin2,
    town: &'static Town,
}

/// What a site keeps between rounds.
struct Profile {
    place: usize,
    households: f64,
    household_size: f64,
    reasons: Vec<DisplacementReason>,
    manager: Option<&'static str>,
}

/// The random stream and what the sites are drawn from.
struct Generator<'a> {
    rng: ChaCha8Rng,
    spec: &'a Spec,
    places: Vec<Place>,
    rounds: Vec<DemoRound>,
    /// Last site number per admin2.
    numbers: BTreeMap<&'static str, u32>,
    /// Sites per (admin2, place name, type), to number repeated names.
    names: BTreeMap<String, u32>,
}

/// Generates the demo data for `spec`; the same spec always gives the same data.
pub fn generate(spec: &Spec) -> DemoData {
    let mut g = Generator {
        rng: ChaCha8Rng::seed_from_u64(spec.seed),
        spec,
        places: places(),
        rounds: rounds(spec),
        numbers: BTreeMap::new(),
        names: BTreeMap::new(),
    };
    let counts = sites_per_place(&mut g.rng, &g.places, spec.sites);
    let (mut sites, mut profiles) = (Vec::new(), Vec::new());
    for (place, &count) in counts.iter().enumerate() {
        for _ in 0..count {
            let (site, profile) = g.site(place);
            sites.push(site);
            profiles.push(profile);
        }
    }
    for _ in 0..spec.sites / 200 {
        let i = g.rng.random_range(0..sites.len());
        let ring = g.places[profiles[i].place].admin2.outer;
        snap_to_edge(&mut g.rng, &mut sites[i], ring);
    }
    let assessments = g.assessments(&sites, &mut profiles);
    let (organisations, admin_areas) = (organisations(), admin_areas());
    let stock = super::stock::generate(spec, &sites);
    DemoData {
        organisations,
        admin_areas,
        rounds: g.rounds,
        sites,
        assessments,
        stock,
    }
}

fn places() -> Vec<Place> {
    let mut out = Vec::new();
    for country in COUNTRIES {
        for admin1 in country.admin1s {
            for admin2 in admin1.admin2s {
                let place = |town| Place {
                    country,
                    admin1,
                    admin2,
                    town,
                };
                out.extend(admin2.towns.iter().map(place));
            }
        }
    }
    out
}

fn organisations() -> Vec<DemoOrganisation> {
    let org = |o: &Org| DemoOrganisation {
        code: o.code.to_owned(),
        name: o.name.to_owned(),
        acronym: o.acronym.map(str::to_owned),
        org_type: o.org_type,
    };
    ORGS.iter().map(org).collect()
}

fn closed(ring: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = ring.to_vec();
    out.extend(ring.first().copied());
    out
}

/// An admin area without a polygon; `names` is (English, French).
fn area(pcode: &str, parent: Option<&str>, names: (&str, Option<&str>)) -> DemoAdminArea {
    DemoAdminArea {
        pcode: pcode.to_owned(),
        level: 0,
        parent: parent.map(str::to_owned),
        name_en: names.0.to_owned(),
        name_fr: names.1.map(str::to_owned),
        polygon: None,
    }
}

fn admin_areas() -> Vec<DemoAdminArea> {
    let mut out = Vec::new();
    for c in COUNTRIES {
        out.push(area(c.iso3, None, (c.name_en, Some(c.name_fr))));
        for a1 in c.admin1s {
            let points = a1.admin2s.iter().flat_map(|a2| a2.outer.iter());
            let (mut w, mut s, mut e, mut n) = (180.0_f64, 90.0_f64, -180.0_f64, -90.0_f64);
            for &(lon, lat) in points {
                (w, s, e, n) = (w.min(lon), s.min(lat), e.max(lon), n.max(lat));
            }
            let (w, s) = (round6((w - 0.1).max(-180.0)), round6((s - 0.1).max(-90.0)));
            let (e, n) = (round6((e + 0.1).min(180.0)), round6((n + 0.1).min(90.0)));
            let ring = closed(&[(w, s), (e, s), (e, n), (w, n)]);
            let names = (a1.name_en, a1.name_fr);
            let polygon = Some(vec![ring]);
            out.push(DemoAdminArea {
                level: 1,
                polygon,
                ..area(a1.pcode, Some(c.iso3), names)
            });
            for a2 in a1.admin2s {
                let mut rings = vec![closed(a2.outer)];
                rings.extend(a2.hole.map(closed));
                let (names, polygon) = ((a2.name_en, a2.name_fr), Some(rings));
                out.push(DemoAdminArea {
                    level: 2,
                    polygon,
                    ..area(a2.pcode, Some(a1.pcode), names)
                });
            }
        }
    }
    out
}

fn rounds(spec: &Spec) -> Vec<DemoRound> {
    let round = |k: u32| {
        let starts_on = spec.start + days(i64::from((k - 1) * spec.round_days));
        let ends_on = starts_on + days(i64::from(spec.round_days.saturating_sub(1).min(44)));
        DemoRound {
            number: i32::try_from(k).unwrap_or(i32::MAX),
            name: format!("Round {k} ({})", starts_on.format("%b %Y")),
            starts_on,
            ends_on,
        }
    };
    (1..=spec.rounds).map(round).collect()
}

/// Sites per town: at least one each when there are enough, the rest by a jittered Zipf
/// law over the towns' ranks.
fn sites_per_place(rng: &mut ChaCha8Rng, places: &[Place], sites: usize) -> Vec<u32> {
    let weight = |p: &Place| f64::from(p.town.rank).powf(-1.15) * (0.25 * gauss(rng)).exp();
    let weights: Vec<f64> = places.iter().map(weight).collect();
    if sites < places.len() {
        let one_of_the_largest = |p: &Place| u32::from(p.town.rank as usize <= sites);
        return places.iter().map(one_of_the_largest).collect();
    }
    let rest = u32::try_from(sites - places.len()).unwrap_or(u32::MAX);
    apportion(rest, &weights)
        .into_iter()
        .map(|c| c + 1)
        .collect()
}

impl Generator<'_> {
    fn site(&mut self, place: usize) -> (DemoSite, Profile) {
        let p = &self.places[place];
        let (country, admin1, admin2, town) = (p.country, p.admin1, p.admin2, p.town);
        let rng = &mut self.rng;
        let site_type = pick(rng, country.site_mix);
        let lat = (town.lat + gauss(rng) * town.sd_km / KM_PER_DEGREE).clamp(-89.0, 89.0);
        let dlon = gauss(rng) * town.sd_km / (KM_PER_DEGREE * lat.to_radians().cos());
        let lon = (town.lon + dlon + 540.0).rem_euclid(360.0) - 180.0;
        let number = self.numbers.entry(admin2.pcode).or_insert(0);
        *number += 1;
        let place_name = town.places[rng.random_range(0..town.places.len())];
        let key = format!("{}/{place_name}/{site_type:?}", admin2.pcode);
        let seen = self.names.entry(key).or_insert(0);
        *seen += 1;
        let name = match *seen {
            1 => format!("{place_name} {}", kind_label(site_type)),
            n => format!("{place_name} {} {n}", kind_label(site_type)),
        };
        let formal = match site_type {
            SiteType::SelfSettledCamp | SiteType::HostCommunity => 0.15,
            SiteType::CollectiveCentre => 0.6,
            _ => 0.9,
        };
        let formal_status = either(rng, formal, FormalStatus::Formal, FormalStatus::Informal);
        let community = either(rng, 0.6, ManagementType::None, ManagementType::Community);
        let code = country.managers[rng.random_range(0..country.managers.len())];
        let (manager, management_type) = match rng.random::<f64>() {
            _ if site_type == SiteType::HostCommunity => (None, Some(community)),
            x if x < 0.85 => (Some(code), Some(management_type_of(code))),
            x if x < 0.925 => (None, Some(ManagementType::Community)),
            _ => (None, None),
        };
        let households = (20.0 / (1.0 - rng.random::<f64>())).min(10_000.0);
        let household_size = rng.random_range(4.5..6.5);
        let individuals = households * household_size;
        let capacity = (site_type != SiteType::HostCommunity && rng.random_bool(0.7))
            .then(|| ((individuals * rng.random_range(0.9..1.6) / 50.0).ceil() * 50.0) as i64);
        let area = |rng: &mut ChaCha8Rng| (individuals * rng.random_range(15.0..60.0)).ceil();
        let area_m2 = rng.random_bool(0.75).then(|| area(rng));
        let (start, round_days) = (self.spec.start, i64::from(self.spec.round_days));
        let last_end = self.rounds.last().map_or(start, |r| r.ends_on);
        let run = (last_end - start).num_days().max(0);
        let opened_on = if rng.random_bool(0.88) {
            start - days(rng.random_range(30..2_500))
        } else {
            start + days(rng.random_range(0..=run))
        };
        let closed_on = rng.random_bool(0.03).then(|| {
            let day = start + days(rng.random_range(round_days / 2..=run.max(round_days / 2)));
            day.clamp(opened_on + days(30), last_end.max(opened_on + days(30)))
        });
        let reason_count = rng.random_range(1..=2);
        let reasons = pick_distinct(rng, country.reasons, reason_count);
        let site = DemoSite {
            code: format!("CCCM-{}-{number:04}", admin2.pcode),
            name,
            site_type,
            formal_status,
            operational_status: closed_on
                .map_or(OperationalStatus::Open, |_| OperationalStatus::Closed),
            lat: round6(lat),
            lon: round6(lon),
            admin0: country.iso3.to_owned(),
            admin1: admin1.pcode.to_owned(),
            admin2: admin2.pcode.to_owned(),
            management_org: manager.map(str::to_owned),
            management_type,
            capacity,
            area_m2,
            opened_on,
            closed_on,
        };
        (
            site,
            Profile {
                place,
                households,
                household_size,
                reasons,
                manager,
            },
        )
    }

    fn assessments(&mut self, sites: &[DemoSite], profiles: &mut [Profile]) -> Vec<DemoAssessment> {
        let mut arriving: Vec<(DateTime<Utc>, usize, DemoAssessment)> = Vec::new();
        for (site_index, (site, profile)) in sites.iter().zip(profiles).enumerate() {
            let mut previous: Option<u32> = None;
            for round in 0..self.rounds.len() {
                let Some(assessed_on) = self.visit_day(site, round) else {
                    continue;
                };
                if previous.is_some() {
                    profile.households *= self.rng.random_range(0.8..1.2);
                    profile.households = profile.households.max(1.0);
                }
                let figures = figures(&mut self.rng, profile, previous);
                previous = Some(figures.individuals);
                let (assessment, arrival) = self.assessment(site, profile, round, assessed_on);
                let assessment = DemoAssessment {
                    site_index,
                    figures,
                    ..assessment
                };
                arriving.push((arrival, arriving.len(), assessment));
            }
        }
        arriving.sort_by_key(|(arrival, seq, _)| (*arrival, *seq));
        arriving.into_iter().map(|(_, _, a)| a).collect()
    }

    /// A day in the round's window (5% a few days after it) while the site is open.
    fn visit_day(&mut self, site: &DemoSite, round: usize) -> Option<NaiveDate> {
        let round = &self.rounds[round];
        let last_open = site.closed_on.map_or(NaiveDate::MAX, |c| c - days(1));
        let late = either(&mut self.rng, 0.05, 10, 0);
        let first = round.starts_on.max(site.opened_on);
        let last = (round.ends_on + days(late)).min(last_open);
        let offset = (first <= last).then(|| self.rng.random_range(0..=(last - first).num_days()));
        offset.map(|d| first + days(d))
    }

    /// Everything but the figures and site index, and when the record reaches the server.
    fn assessment(
        &mut self,
        site: &DemoSite,
        profile: &Profile,
        round: usize,
        assessed_on: NaiveDate,
    ) -> (DemoAssessment, DateTime<Utc>) {
        let last_round = round + 1 == self.rounds.len();
        let round_number = self.rounds[round].number;
        let origins: Vec<(&str, &str)> = self.places[profile.place]
            .country
            .admin1s
            .iter()
            .flat_map(|a1| a1.admin2s.iter().map(|a2| (a1.pcode, a2.pcode)))
            .collect();
        let rng = &mut self.rng;
        let seconds = rng.random_range(6 * 3600..18 * 3600);
        let captured_at =
            (assessed_on.and_time(NaiveTime::MIN) + TimeDelta::seconds(seconds)).and_utc();
        let elsewhere = origins[rng.random_range(0..origins.len())];
        let (origin_admin1, origin_admin2) = match rng.random::<f64>() {
            x if x < 0.1 => (None, None),
            x if x < 0.15 => (Some(elsewhere.0), None),
            x if x < 0.45 => (Some(site.admin1.as_str()), Some(site.admin2.as_str())),
            _ => (Some(elsewhere.0), Some(elsewhere.1)),
        };
        let review_status = match rng.random::<f64>() {
            x if x < 0.03 => ReviewStatus::Rejected,
            x if x < 0.06 => ReviewStatus::NeedsFollowUp,
            x if x < 0.35 || (last_round && x < 0.75) => ReviewStatus::Submitted,
            _ => ReviewStatus::Approved,
        };
        let organisation = match profile.manager {
            Some(code) if rng.random_bool(0.2) => code,
            _ => "IOM",
        };
        let delay_hours = match rng.random::<f64>() {
            x if x < 0.05 => f64::from(self.spec.round_days) * 24.0 * rng.random_range(1.05..2.2),
            x if x < 0.35 => rng.random_range(24.0..24.0 * 14.0),
            _ => rng.random_range(0.05..24.0),
        };
        let arrival = captured_at + TimeDelta::seconds((delay_hours * 3600.0) as i64);
        let shelter = shelter_choices(site.site_type);
        let assessment = DemoAssessment {
            client_uuid: uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
            site_index: 0,
            round_number,
            assessed_on,
            captured_at,
            figures: AssessmentFigures::default(),
            origin_admin1: origin_admin1.map(str::to_owned),
            origin_admin2: origin_admin2.map(str::to_owned),
            shelter_type: rng.random_bool(0.95).then(|| pick(rng, shelter)),
            review_status,
            organisation: organisation.to_owned(),
        };
        (assessment, arrival)
    }
}

/// Moves a site exactly onto an edge (sometimes a corner) of its admin2's axis-aligned ring.
fn snap_to_edge(rng: &mut ChaCha8Rng, site: &mut DemoSite, ring: &[(f64, f64)]) {
    let i = rng.random_range(0..ring.len());
    let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
    let t = rng.random::<f64>();
    let t = either(rng, 0.2, 0.0, t);
    if a.0 == b.0 {
        (site.lon, site.lat) = (a.0, round6(a.1 + (b.1 - a.1) * t));
    } else {
        (site.lon, site.lat) = (round6(a.0 + (b.0 - a.0) * t), a.1);
    }
}

fn figures(rng: &mut ChaCha8Rng, profile: &Profile, previous: Option<u32>) -> AssessmentFigures {
    let households = profile.households.round().max(1.0) as u32;
    let size = profile.household_size + rng.random_range(-0.2..0.2);
    let individuals = ((f64::from(households) * size).round() as u32).max(households);
    let change = i64::from(individuals) - i64::from(previous.unwrap_or(individuals));
    let mut turnover = |base: i64, share: f64| {
        let extra = (f64::from(individuals) * rng.random_range(0.0..share)).round() as i64;
        let count = u32::try_from(base.max(0) + extra).unwrap_or(0);
        rng.random_bool(0.9).then_some(count)
    };
    let (arrivals_3m, departures_3m) = (turnover(change, 0.05), turnover(-change, 0.03));
    let mut displacement_reasons = profile.reasons.clone();
    let extra = DisplacementReason::ALL[rng.random_range(0..DisplacementReason::ALL.len())];
    if rng.random_bool(0.05) && !displacement_reasons.contains(&extra) {
        displacement_reasons.push(extra);
    }
    let shelter_conditions = if rng.random_bool(0.15) {
        vec![ShelterCondition::Adequate]
    } else {
        let problems = ShelterCondition::ALL
            .iter()
            .filter(|&&c| c != ShelterCondition::Adequate);
        subset(rng, &problems.copied().collect::<Vec<_>>(), 0.35)
    };
    let need_count = [1, 5, 2, 2, 3, 3, 3, 3, 3, 3][rng.random_range(0..10)];
    let mut vulnerabilities = Vec::new();
    for kind in subset(rng, Vulnerability::ALL, 0.45) {
        let (limit, share) = if kind.counts_households() {
            (households, rng.random_range(0.05..0.35))
        } else {
            (individuals, rng.random_range(0.005..0.06))
        };
        let count = ((f64::from(limit) * share).round() as u32).min(limit);
        vulnerabilities.push(VulnerabilityCount { kind, count });
    }
    let indicators = subset(rng, INDICATORS, 0.3);
    AssessmentFigures {
        households,
        individuals,
        sadd: sadd(rng, individuals),
        arrivals_3m,
        departures_3m,
        displacement_reasons,
        shelter_conditions,
        services: subset(rng, Sector::ALL, 0.5),
        priority_needs: pick_distinct(rng, NEEDS, need_count),
        vulnerabilities,
        indicator_keys: indicators.into_iter().map(str::to_owned).collect(),
    }
}

/// DTM Nigeria bands summing to exactly `individuals` (82%), a partial set (10%) or none.
fn sadd(rng: &mut ChaCha8Rng, individuals: u32) -> Vec<SaddRow> {
    let roll = rng.random::<f64>();
    if roll < 0.08 {
        return Vec::new();
    }
    let weights: Vec<f64> = BANDS
        .iter()
        .map(|b| b.3 * rng.random_range(0.8..1.2))
        .collect();
    let counts = apportion(individuals, &weights);
    let row = |(&(sex, age_min, age_max, _), count)| SaddRow {
        sex,
        age_min,
        age_max,
        count,
    };
    let rows: Vec<SaddRow> = BANDS.iter().zip(counts).map(row).collect();
    if roll < 0.18 {
        subset(rng, &rows, 0.5)
    } else {
        rows
    }
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6 + 0.0
}

/// `a` with probability `p`, else `b`.
fn either<T>(rng: &mut ChaCha8Rng, p: f64, a: T, b: T) -> T {
    if rng.random_bool(p) { a } else { b }
}

/// Each item kept with probability `p`, in order.
fn subset<T: Copy>(rng: &mut ChaCha8Rng, items: &[T], p: f64) -> Vec<T> {
    items
        .iter()
        .copied()
        .filter(|_| rng.random_bool(p))
        .collect()
}

/// A standard normal draw (Box-Muller).
fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for &(item, weight) in items {
        if x < weight {
            return item;
        }
        x -= weight;
    }
    items[items.len() - 1].0
}

/// Up to `k` distinct items drawn by weight, in draw order (a ranking).
fn pick_distinct<T: Copy + PartialEq>(
    rng: &mut ChaCha8Rng,
    items: &[(T, u32)],
    k: usize,
) -> Vec<T> {
    let mut left = items.to_vec();
    let mut out = Vec::with_capacity(k);
    while out.len() < k && !left.is_empty() {
        let item = pick(rng, &left);
        left.retain(|(t, _)| *t != item);
        out.push(item);
    }
    out
}

/// Splits `total` in proportion to `weights` exactly (largest remainder).
fn apportion(total: u32, weights: &[f64]) -> Vec<u32> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| f64::from(total) * w / sum).collect();
    let mut out: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    let short = total.saturating_sub(out.iter().sum());
    let fraction = |i: usize| exact[i] - exact[i].floor();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| fraction(b).total_cmp(&fraction(a)));
    for &i in order.iter().cycle().take(short as usize) {
        out[i] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use camptrack_geo::Coordinates;

    #[test]
    fn the_same_seed_gives_the_same_data_and_another_seed_differs() {
        let a = generate(&Spec::small(7));
        assert_eq!(a, generate(&Spec::small(7)));
        assert_eq!(format!("{a:?}"), format!("{:?}", generate(&Spec::small(7))));
        assert_ne!(a.sites, generate(&Spec::small(8)).sites);
    }

    #[test]
    fn every_assessment_validates_and_points_at_an_open_site() {
        let data = generate(&Spec::demo());
        for a in &data.assessments {
            assert_eq!(a.figures.validate(), Ok(()), "{a:?}");
            let site = &data.sites[a.site_index];
            assert!(
                site.opened_on <= a.assessed_on && site.closed_on.is_none_or(|c| a.assessed_on < c)
            );
        }
        let full = data.assessments.iter().filter(|a| {
            a.figures.sadd.len() == 10
                && a.figures.sadd.iter().map(|r| r.count).sum::<u32>() == a.figures.individuals
        });
        assert!(full.count() * 10 > data.assessments.len() * 7);
    }

    #[test]
    fn site_codes_are_unique_and_well_formed() {
        let data = generate(&Spec::demo());
        let codes: std::collections::BTreeSet<_> =
            data.sites.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes.len(), data.sites.len());
        for s in &data.sites {
            assert!(
                camptrack_domain::site::SiteCode::parse("code", &s.code).is_ok(),
                "{}",
                s.code
            );
            assert!(s.code.starts_with(&format!("CCCM-{}-", s.admin2)));
        }
    }

    #[test]
    fn every_site_has_valid_coordinates_and_known_admin_areas() {
        let data = generate(&Spec::demo());
        let pcodes: Vec<_> = data.admin_areas.iter().map(|a| a.pcode.as_str()).collect();
        for s in &data.sites {
            assert!(Coordinates::new(s.lat, s.lon).is_ok(), "{s:?}");
            assert_eq!(s.lat, round6(s.lat));
            for p in [&s.admin0, &s.admin1, &s.admin2] {
                assert!(pcodes.contains(&p.as_str()), "{p}");
            }
            assert!(s.closed_on.is_none_or(|c| c > s.opened_on));
        }
        let closed = data
            .sites
            .iter()
            .filter(|s| s.operational_status == OperationalStatus::Closed);
        assert!((5..100).contains(&closed.count()));
    }

    #[test]
    fn sites_per_town_are_heavy_tailed() {
        let data = generate(&Spec::demo());
        let mut per_admin2: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &data.sites {
            *per_admin2.entry(&s.admin2).or_default() += 1;
        }
        let mut counts: Vec<usize> = per_admin2.into_values().collect();
        counts.sort_unstable();
        let (median, largest) = (counts[counts.len() / 2], counts[counts.len() - 1]);
        assert!(largest >= 5 * median, "{counts:?}");
        assert_eq!(data.sites.len(), 1_200);
    }

    #[test]
    fn some_assessments_arrive_after_records_of_a_later_round() {
        let data = generate(&Spec::demo());
        let mut highest = 0;
        let mut late = 0;
        for a in &data.assessments {
            late += usize::from(a.round_number < highest);
            highest = highest.max(a.round_number);
        }
        assert!(late > 10 && late * 10 < data.assessments.len(), "{late}");
    }

    #[test]
    fn some_sites_lie_near_the_antimeridian_on_both_sides() {
        let data = generate(&Spec::small(3));
        assert!(data.sites.iter().any(|s| s.lon > 179.0));
        let demo = generate(&Spec::demo());
        assert!(demo.sites.iter().any(|s| s.lon > 179.9));
        assert!(demo.sites.iter().any(|s| s.lon < -179.9));
    }

    #[test]
    fn some_sites_lie_on_an_admin2_edge_or_in_a_hole() {
        let data = generate(&Spec::demo());
        let area = |p: &str| {
            data.admin_areas
                .iter()
                .find(|a| a.pcode == p)
                .and_then(|a| a.polygon.clone())
        };
        let (mut on_edge, mut in_hole) = (0, 0);
        for s in &data.sites {
            let rings = area(&s.admin2).unwrap_or_default();
            on_edge += usize::from(
                rings[0]
                    .iter()
                    .any(|&(lon, lat)| lon == s.lon || lat == s.lat),
            );
            if let Some(hole) = rings.get(1) {
                let (lons, lats): (Vec<f64>, Vec<f64>) = hole.iter().copied().unzip();
                let within =
                    |v: f64, vs: &[f64]| vs.iter().any(|&x| x < v) && vs.iter().any(|&x| x > v);
                in_hole += usize::from(within(s.lon, &lons) && within(s.lat, &lats));
            }
        }
        assert!(on_edge >= 3 && in_hole >= 3, "{on_edge} {in_hole}");
    }

    #[test]
    fn the_oracle_picks_the_latest_counted_assessment() {
        let data = generate(&Spec::small(11));
        let as_of = data.rounds[1].ends_on;
        let latest = data.latest_per_site(as_of);
        assert_eq!(latest.len(), data.sites.len());
        for (site, found) in latest.iter().enumerate() {
            let candidates = data.assessments.iter().filter(|a| {
                a.site_index == site
                    && a.assessed_on <= as_of
                    && a.review_status != ReviewStatus::Rejected
            });
            let best = candidates
                .max_by_key(|a| (a.assessed_on, a.round_number, a.captured_at, a.client_uuid));
            assert_eq!(found.map(|i| &data.assessments[i]), best);
        }
        assert!(latest.iter().filter(|l| l.is_some()).count() > data.sites.len() / 2);
    }

    #[test]
    fn the_demo_spec_generates() {
        let data = generate(&Spec::demo());
        assert!(data.assessments.len() > 3 * data.sites.len());
        assert_eq!(data.rounds.len(), 4);
        assert!(data.organisations.len() >= 8);
    }
}
