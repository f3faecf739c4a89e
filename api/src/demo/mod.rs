//! The demo data set: the shared seeded generator (used by `camptrack demo`, the tests and
//! the benchmarks alike) and the loader that writes it through the storage functions, so
//! demo data obeys every rule that API data does.

pub mod generator;
pub mod stock;
mod towns;

use std::collections::BTreeMap;

use camptrack_domain::codes::{DistributionModality, DistributionStatus, OperationalStatus, Role};
use camptrack_domain::pcode::PCode;
use camptrack_domain::site::SiteCode;
use camptrack_domain::stock::{Goods, Line, StockCode};
use camptrack_geo::Coordinates;
use sea_orm::DatabaseConnection;
use serde_json::{Map, json};
use uuid::Uuid;

use crate::storage::accounts::{self, AccountDraft};
use crate::storage::admin_areas::{self, AdminAreaDraft};
use crate::storage::assessments::{AssessmentContent, AssessmentDraft};
use crate::storage::distributions::{self, DistributionContent, DistributionDraft};
use crate::storage::import::{self, ImportedAssessment};
use crate::storage::organisations::{self, OrganisationDraft};
use crate::storage::rounds::{self, RoundDraft};
use crate::storage::scope::Scope;
use crate::storage::sites::{self, Closure, SiteDraft, SitePatch};
use crate::storage::stock::{self as ledger, MovementDraft, Particulars, TransferDraft};
use crate::storage::warehouses::{self, WarehouseDraft};
use crate::storage::{Result, StorageError, Writer, db};
use generator::{DemoData, Spec};

/// What the loader wrote, with the ids it created (tests compare against the generator).
#[derive(Debug)]
pub struct Loaded {
    /// Sites written.
    pub sites: usize,
    /// Assessments written.
    pub assessments: usize,
    /// Warehouses written.
    pub warehouses: usize,
    /// Server ids of the generator's warehouses, by index.
    pub warehouse_ids: Vec<Uuid>,
    /// Distributions written.
    pub distributions: usize,
    /// Server ids of the generator's sites, by index.
    pub site_ids: Vec<Uuid>,
    /// Server ids of the generator's assessments, by index.
    pub assessment_ids: Vec<Uuid>,
    /// Organisation ids by code.
    pub organisation_ids: BTreeMap<String, Uuid>,
    /// The generated data.
    pub data: DemoData,
}

/// Generates the demo data for `seed` with `sites` sites and loads it into an empty database.
pub async fn load(db: &DatabaseConnection, seed: u64, site_count: usize) -> Result<Loaded> {
    let spec = Spec {
        seed,
        sites: site_count,
        ..Spec::demo()
    };
    load_spec(db, &spec).await
}

/// Sites or assessments per import transaction: short transactions keep PostgreSQL's
/// delivery bound for delta sync (the oldest running transaction) moving while the demo
/// loads.
pub const ROWS_PER_TRANSACTION: usize = 2_000;

/// Loads the data `spec` generates into an empty database. Reference data and stock go
/// through the storage functions one record at a time; sites and assessments are bulk
/// imported in short transactions.
pub async fn load_spec(db: &DatabaseConnection, spec: &Spec) -> Result<Loaded> {
    if sites::any(db).await? {
        return Err(StorageError::conflict(
            "the database already holds sites; the demo loads only into an empty database",
        ));
    }
    let started = std::time::Instant::now();
    let data = generator::generate(spec);
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        sites = data.sites.len(),
        assessments = data.assessments.len(),
        "demo data generated"
    );
    // The loader writes as an administrator account of its own, so the audit log says who.
    let loader = AccountDraft {
        name: "demo loader".to_owned(),
        role: Role::Admin,
        organisation_id: None,
        area: Default::default(),
    };
    let loader = accounts::create(db, None, loader).await?.into_caller();
    let mut organisation_ids = BTreeMap::new();
    for org in &data.organisations {
        let draft = OrganisationDraft {
            code: org.code.clone(),
            name: org.name.clone(),
            acronym: org.acronym.clone(),
            org_type: org.org_type,
        };
        let created = organisations::create(db, &loader, draft).await?;
        organisation_ids.insert(org.code.clone(), created.id);
    }
    let mut areas: Vec<_> = data.admin_areas.iter().collect();
    areas.sort_by_key(|a| a.level);
    for area in areas {
        let polygon = area.polygon.as_ref().map(|rings| {
            json!({ "type": "Polygon", "coordinates": rings.iter().map(|ring| ring.iter().map(|(lon, lat)| [*lon, *lat]).collect::<Vec<_>>()).collect::<Vec<_>>() })
        });
        let draft = AdminAreaDraft {
            pcode: area.pcode.clone(),
            level: area.level.into(),
            parent_pcode: area.parent.clone(),
            name_en: area.name_en.clone(),
            name_fr: area.name_fr.clone(),
            polygon,
        };
        admin_areas::create(db, Some(&loader), draft).await?;
    }
    for round in &data.rounds {
        let draft = RoundDraft {
            number: round.number,
            name: round.name.clone(),
            starts_on: round.starts_on,
            ends_on: round.ends_on,
        };
        rounds::create(db, Some(&loader), draft).await?;
    }
    let mut drafts = Vec::with_capacity(data.sites.len());
    for site in &data.sites {
        drafts.push(SiteDraft {
            code: SiteCode::parse("code", &site.code)?,
            name: site.name.clone(),
            site_type: site.site_type,
            formal_status: site.formal_status,
            location: Coordinates::new(site.lat, site.lon)
                .map_err(|e| crate::graphql::error::geo(&e))?,
            admin0_pcode: PCode::parse("admin0", &site.admin0)?.to_string(),
            admin1_pcode: Some(site.admin1.clone()),
            admin2_pcode: Some(site.admin2.clone()),
            admin3_pcode: None,
            management_org_id: site
                .management_org
                .as_ref()
                .and_then(|c| organisation_ids.get(c).copied()),
            management_type: site.management_type,
            capacity: site.capacity,
            area_m2: site.area_m2,
            opened_on: Some(site.opened_on),
        });
    }
    let mut site_ids = Vec::with_capacity(drafts.len());
    let mut drafts = drafts.into_iter().peekable();
    while drafts.peek().is_some() {
        let chunk: Vec<SiteDraft> = drafts.by_ref().take(ROWS_PER_TRANSACTION).collect();
        let txn = db::begin_write(db).await?;
        site_ids.extend(import::sites(&txn, &loader, chunk).await?);
        txn.commit().await?;
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        "demo sites written"
    );
    let mut enumerators = BTreeMap::new();
    for (code, id) in &organisation_ids {
        let draft = AccountDraft {
            name: format!("{code} demo enumerator"),
            role: Role::Enumerator,
            organisation_id: Some(*id),
            area: Default::default(),
        };
        enumerators.insert(
            code.clone(),
            accounts::create(db, Some(&loader), draft)
                .await?
                .into_caller(),
        );
    }
    // Built a transaction's worth at a time: at 2M assessments, converting them all first
    // would hold a second copy of the data set.
    let mut assessment_ids = Vec::with_capacity(data.assessments.len());
    for chunk in data.assessments.chunks(ROWS_PER_TRANSACTION) {
        let items = chunk
            .iter()
            .map(|a| imported(a, &enumerators, &site_ids))
            .collect::<Result<Vec<_>>>()?;
        let txn = db::begin_write(db).await?;
        assessment_ids.extend(import::assessments(&txn, &loader, items).await?);
        txn.commit().await?;
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        "demo assessments written"
    );
    for (site, id) in data.sites.iter().zip(&site_ids) {
        if let Some(closed_on) = site.closed_on
            && site.operational_status != OperationalStatus::Open
        {
            let closure = Closure {
                status: site.operational_status,
                closed_on,
            };
            sites::update(
                db,
                &loader,
                *id,
                1,
                SitePatch {
                    closure: Some(closure),
                    ..SitePatch::default()
                },
            )
            .await?;
        }
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        "demo closures written"
    );
    let warehouse_ids = load_stock(db, &loader, &data, &site_ids, &organisation_ids).await?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        "demo stock written"
    );
    db::analyze(db).await?;
    Ok(Loaded {
        sites: site_ids.len(),
        assessments: assessment_ids.len(),
        warehouses: warehouse_ids.len(),
        warehouse_ids,
        distributions: data.stock.distributions.len(),
        site_ids,
        assessment_ids,
        organisation_ids,
        data,
    })
}

/// The generator's assessment `a` as an import item, submitted by its organisation's
/// enumerator.
fn imported(
    a: &generator::DemoAssessment,
    enumerators: &BTreeMap<String, crate::auth::Caller>,
    site_ids: &[Uuid],
) -> Result<ImportedAssessment> {
    let caller = enumerators
        .get(&a.organisation)
        .ok_or_else(|| StorageError::not_found("organisation", &a.organisation))?;
    let content = AssessmentContent {
        round_number: a.round_number,
        assessed_on: a.assessed_on,
        figures: a.figures.clone(),
        origin_admin1_pcode: a.origin_admin1.clone(),
        origin_admin2_pcode: a.origin_admin2.clone(),
        shelter_type: a.shelter_type,
        indicators: a
            .figures
            .indicator_keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), json!(i + 1)))
            .collect::<Map<_, _>>(),
        captured_location: None,
        captured_at: Some(a.captured_at),
        device_id: Some(format!("demo-{}", a.organisation.to_ascii_lowercase())),
    };
    Ok(ImportedAssessment {
        draft: AssessmentDraft {
            client_uuid: a.client_uuid,
            site_id: site_ids[a.site_index],
            content,
        },
        submitted_by: caller.clone(),
        review_status: a.review_status,
    })
}

/// Writes the generator's warehouses, receipts, transfers and distributions through the
/// storage functions (so every ledger rule applies); returns the warehouses' ids.
async fn load_stock(
    db: &impl Writer,
    loader: &crate::auth::Caller,
    data: &DemoData,
    site_ids: &[Uuid],
    organisation_ids: &BTreeMap<String, Uuid>,
) -> Result<Vec<Uuid>> {
    let org = |code: &str| {
        organisation_ids
            .get(code)
            .copied()
            .ok_or_else(|| StorageError::not_found("organisation", code))
    };
    let scope = Scope::of(loader);
    let mut ids = Vec::with_capacity(data.stock.warehouses.len());
    for w in &data.stock.warehouses {
        let draft = WarehouseDraft {
            code: StockCode::parse("code", &w.code)?,
            name: w.name.clone(),
            organisation_id: Some(org(&w.organisation)?),
            location: Coordinates::new(w.lat, w.lon).map_err(|e| crate::graphql::error::geo(&e))?,
            admin0_pcode: w.admin0.clone(),
            admin1_pcode: Some(w.admin1.clone()),
            admin2_pcode: None,
            admin3_pcode: None,
            is_hub: w.is_hub,
            capacity_m3: Some(w.capacity_m3),
        };
        ids.push(warehouses::create(db, scope, draft).await?.id);
    }
    for m in &data.stock.movements {
        let particulars = Particulars {
            reason: None,
            document_ref: Some(m.document_ref.clone()),
            project_code: None,
            donor_org_id: m.donor.as_deref().map(org).transpose()?,
            counterparty_org_id: None,
        };
        let item_code = StockCode::parse("itemCode", &m.item)?;
        match m.to {
            Some(to) => {
                let draft = TransferDraft {
                    client_uuid: m.client_uuid,
                    from_warehouse_id: ids[m.warehouse],
                    to_warehouse_id: ids[to],
                    item_code,
                    quantity: m.quantity,
                    occurred_at: m.occurred_at,
                    particulars,
                    captured_at: None,
                };
                ledger::transfer(db, loader, draft, &Default::default()).await?;
            }
            None => {
                let draft = MovementDraft {
                    client_uuid: m.client_uuid,
                    warehouse_id: ids[m.warehouse],
                    item_code,
                    kind: m.kind,
                    quantity: m.quantity,
                    occurred_at: m.occurred_at,
                    particulars,
                    captured_at: None,
                };
                ledger::record(db, loader, draft, &Default::default()).await?;
            }
        }
    }
    for d in &data.stock.distributions {
        let lines = d
            .lines
            .iter()
            .map(|(kit, given, lost)| {
                Ok(Line {
                    goods: Goods::Kit(StockCode::parse("kitCode", kit)?),
                    distributed: *given,
                    lost: *lost,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let content = DistributionContent {
            site_id: site_ids[d.site_index],
            implementing_org_id: Some(org(&d.organisation)?),
            funding_org_id: d.funding.as_deref().map(org).transpose()?,
            project_code: Some(d.project_code.clone()),
            starts_on: d.starts_on,
            ends_on: None,
            modality: DistributionModality::InKind,
            status: DistributionStatus::Completed,
            households: d.households,
            individuals: d.individuals,
            sadd: Vec::new(),
            no_shows: 0,
            lines,
            source_warehouse_id: Some(ids[d.warehouse]),
        };
        let draft = DistributionDraft {
            client_uuid: d.client_uuid,
            content,
            captured_at: None,
        };
        distributions::record(db, loader, draft).await?;
    }
    Ok(ids)
}
