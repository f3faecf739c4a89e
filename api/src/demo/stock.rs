//! The demo's stock: a hub and a field warehouse per country, their receipts and
//! transfers, and completed kit distributions at open sites that never oversell.
//!
//! Drawn from a ChaCha8 stream of its own (seeded from the spec's seed), so the sites and
//! assessments the main stream yields are the same with or without stock.

use std::collections::BTreeMap;

use camptrack_domain::codes::{MovementKind, OperationalStatus};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::generator::{DemoSite, Spec};

/// Mixed into the seed for the stock stream.
const STREAM: u64 = 0x5354_4f43_4b5f_5631;

/// The seeded items (migration `m20261123_100001`) the demo stocks, with receipt sizes.
const ITEMS: &[(&str, i64)] = &[
    ("BLANKET", 4_000),
    ("SLEEPING-MAT", 3_000),
    ("MOSQUITO-NET", 3_000),
    ("KITCHEN-SET", 1_200),
    ("JERRY-CAN", 1_500),
    ("BUCKET", 1_500),
    ("SOLAR-LAMP", 1_200),
    ("TARPAULIN", 2_500),
    ("ROPE", 1_200),
];

/// The seeded kits the demo distributes, with their contents.
const KITS: &[(&str, &[(&str, i64)])] = &[
    (
        "NFI-KIT-STD",
        &[
            ("BLANKET", 2),
            ("SLEEPING-MAT", 2),
            ("MOSQUITO-NET", 2),
            ("KITCHEN-SET", 1),
            ("JERRY-CAN", 1),
            ("BUCKET", 1),
            ("SOLAR-LAMP", 1),
        ],
    ),
    ("SHELTER-KIT", &[("TARPAULIN", 2), ("ROPE", 1)]),
];

/// A warehouse to create.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoWarehouse {
    /// Unique code, e.g. `WH-NGA-HUB`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Code of the organisation that runs it.
    pub organisation: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Country p-code.
    pub admin0: String,
    /// Admin1 p-code.
    pub admin1: String,
    /// Hub flag.
    pub is_hub: bool,
    /// Capacity in m3.
    pub capacity_m3: f64,
}

/// A receipt, or a transfer to another warehouse.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoMovement {
    /// The client's UUID.
    pub client_uuid: Uuid,
    /// Index of the warehouse in [`DemoStock::warehouses`].
    pub warehouse: usize,
    /// Item code.
    pub item: String,
    /// `RECEIPT` or `TRANSFER_OUT` (then `to` names the receiving warehouse).
    pub kind: MovementKind,
    /// Base units, positive.
    pub quantity: i64,
    /// The receiving warehouse of a transfer.
    pub to: Option<usize>,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Waybill or GRN number.
    pub document_ref: String,
    /// Donor code.
    pub donor: Option<String>,
}

/// A completed in-kind distribution of kits.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDistribution {
    /// The client's UUID.
    pub client_uuid: Uuid,
    /// Index of the site in the generator's sites.
    pub site_index: usize,
    /// Index of the source warehouse.
    pub warehouse: usize,
    /// Implementing organisation (the warehouse's).
    pub organisation: String,
    /// Funding organisation.
    pub funding: Option<String>,
    /// Project code.
    pub project_code: String,
    /// Day of the distribution.
    pub starts_on: NaiveDate,
    /// Households reached.
    pub households: u32,
    /// Individuals reached.
    pub individuals: u32,
    /// Kits handed out: (kit code, kits distributed, kits lost).
    pub lines: Vec<(String, i64, i64)>,
}

/// The demo's stock.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemoStock {
    /// Warehouses.
    pub warehouses: Vec<DemoWarehouse>,
    /// Receipts and transfers, in date order.
    pub movements: Vec<DemoMovement>,
    /// Distributions, in date order.
    pub distributions: Vec<DemoDistribution>,
}

impl DemoStock {
    /// Base units of each item per kit code.
    pub fn kit_contents(kit: &str) -> &'static [(&'static str, i64)] {
        KITS.iter()
            .find(|(code, _)| *code == kit)
            .map_or(&[], |(_, contents)| *contents)
    }

    /// The final balance per (warehouse index, item code): a brute-force oracle for tests.
    pub fn balances(&self) -> BTreeMap<(usize, String), i64> {
        let mut out: BTreeMap<(usize, String), i64> = BTreeMap::new();
        for m in &self.movements {
            *out.entry((m.warehouse, m.item.clone())).or_default() += m.quantity
                * if m.kind == MovementKind::Receipt {
                    1
                } else {
                    -1
                };
            if let Some(to) = m.to {
                *out.entry((to, m.item.clone())).or_default() += m.quantity;
            }
        }
        for d in &self.distributions {
            for (kit, given, lost) in &d.lines {
                for (item, per_kit) in Self::kit_contents(kit) {
                    *out.entry((d.warehouse, (*item).to_owned())).or_default() -=
                        (given + lost) * per_kit;
                }
            }
        }
        out
    }
}

fn at(day: NaiveDate, hour: i64) -> DateTime<Utc> {
    (day.and_time(NaiveTime::MIN) + TimeDelta::hours(hour)).and_utc()
}

/// Generates the stock of `spec` for `sites`.
pub fn generate(spec: &Spec, sites: &[DemoSite]) -> DemoStock {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed ^ STREAM);
    let mut countries: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in sites.iter().enumerate() {
        countries.entry(s.admin0.as_str()).or_default().push(i);
    }
    let mut stock = DemoStock::default();
    // (hub, field) warehouse indexes per country.
    let mut pairs: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (iso3, members) in &countries {
        let first = &sites[members[0]];
        let partner = members
            .iter()
            .filter_map(|&i| sites[i].management_org.as_deref())
            .find(|org| *org != "IOM")
            .unwrap_or("UNHCR");
        let field_site = &sites[members[members.len() / 2]];
        let hub = DemoWarehouse {
            code: format!("WH-{iso3}-HUB"),
            name: format!("{iso3} logistics hub"),
            organisation: "IOM".to_owned(),
            lat: first.lat,
            lon: first.lon,
            admin0: first.admin0.clone(),
            admin1: first.admin1.clone(),
            is_hub: true,
            capacity_m3: f64::from(rng.random_range(4..12_u32)) * 500.0,
        };
        let field = DemoWarehouse {
            code: format!("WH-{iso3}-{partner}"),
            name: format!("{partner} field store, {}", field_site.admin1),
            organisation: partner.to_owned(),
            lat: field_site.lat,
            lon: field_site.lon,
            admin0: field_site.admin0.clone(),
            admin1: field_site.admin1.clone(),
            is_hub: false,
            capacity_m3: f64::from(rng.random_range(1..4_u32)) * 250.0,
        };
        stock.warehouses.push(hub);
        stock.warehouses.push(field);
        pairs.insert(
            iso3,
            (stock.warehouses.len() - 2, stock.warehouses.len() - 1),
        );
    }
    // Every receipt and transfer lands before the first distribution day, so simulating
    // them first and the distributions in date order keeps every dated balance >= 0.
    let mut balance: BTreeMap<(usize, &str), i64> = BTreeMap::new();
    let mut grn = 0;
    for &(hub, field) in pairs.values() {
        for &(item, size) in ITEMS {
            for (day, share) in [
                (spec.start - TimeDelta::days(30), 1.0),
                (spec.start - TimeDelta::days(15), 0.5),
            ] {
                grn += 1;
                let quantity = (size as f64 * share * rng.random_range(0.6..1.4)).round() as i64;
                stock.movements.push(DemoMovement {
                    client_uuid: uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
                    warehouse: hub,
                    item: item.to_owned(),
                    kind: MovementKind::Receipt,
                    quantity,
                    to: None,
                    occurred_at: at(day, 9),
                    document_ref: format!("GRN-{grn:05}"),
                    donor: Some("ECHO".to_owned()),
                });
                *balance.entry((hub, item)).or_default() += quantity;
                let moved = quantity * rng.random_range(25..45) / 100;
                grn += 1;
                stock.movements.push(DemoMovement {
                    client_uuid: uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
                    warehouse: hub,
                    item: item.to_owned(),
                    kind: MovementKind::TransferOut,
                    quantity: moved,
                    to: Some(field),
                    occurred_at: at(day + TimeDelta::days(7), 14),
                    document_ref: format!("WB-{grn:05}"),
                    donor: Some("ECHO".to_owned()),
                });
                *balance.entry((hub, item)).or_default() -= moved;
                *balance.entry((field, item)).or_default() += moved;
            }
        }
    }
    let first = spec.start;
    let last = spec.start + TimeDelta::days(i64::from(spec.rounds.max(1) * spec.round_days) - 1);
    let mut candidates: Vec<(NaiveDate, usize)> = Vec::new();
    for (i, s) in sites.iter().enumerate() {
        if s.operational_status != OperationalStatus::Open || !rng.random_bool(0.12) {
            continue;
        }
        let from = first.max(s.opened_on);
        if from > last {
            continue;
        }
        let day = from + TimeDelta::days(rng.random_range(0..=(last - from).num_days()));
        candidates.push((day, i));
    }
    candidates.sort_unstable();
    for (n, (day, site_index)) in candidates.into_iter().enumerate() {
        let site = &sites[site_index];
        let (hub, field) = pairs[site.admin0.as_str()];
        let warehouse = if rng.random_bool(0.7) { field } else { hub };
        let kit = if rng.random_bool(0.75) {
            KITS[0].0
        } else {
            KITS[1].0
        };
        let wanted = i64::from(rng.random_range(20..120_u32));
        let lost = i64::from(rng.random_bool(0.2));
        let fits = DemoStock::kit_contents(kit)
            .iter()
            .map(|(item, per_kit)| balance.get(&(warehouse, *item)).copied().unwrap_or(0) / per_kit)
            .min()
            .unwrap_or(0);
        let given = wanted.min(fits - lost);
        if given <= 0 {
            continue;
        }
        for (item, per_kit) in DemoStock::kit_contents(kit) {
            *balance.entry((warehouse, *item)).or_default() -= (given + lost) * per_kit;
        }
        let households = u32::try_from(given).unwrap_or(1);
        stock.distributions.push(DemoDistribution {
            client_uuid: uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
            site_index,
            warehouse,
            organisation: stock.warehouses[warehouse].organisation.clone(),
            funding: Some("ECHO".to_owned()),
            project_code: format!("SHL-{}-{:03}", day.format("%Y"), n + 1),
            starts_on: day,
            households,
            individuals: households * rng.random_range(4..7_u32),
            lines: vec![(kit.to_owned(), given, lost)],
        });
    }
    stock
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::generator;

    #[test]
    fn the_demo_stock_is_deterministic_and_never_oversells() {
        let spec = Spec::small(5);
        let a = generator::generate(&spec);
        assert_eq!(a.stock, generator::generate(&spec).stock);
        assert!(!a.stock.distributions.is_empty());
        assert!(a.stock.balances().values().all(|&b| b >= 0));
        let contents: Vec<_> = KITS.iter().flat_map(|(_, c)| c.iter()).collect();
        assert!(
            contents
                .iter()
                .all(|(item, _)| ITEMS.iter().any(|(i, _)| i == item))
        );
    }
}
