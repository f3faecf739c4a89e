//! Sites: registered points with admin p-codes and their current figures.

use camptrack_domain::codes::{FormalStatus, ManagementType, OperationalStatus, SiteType};
use camptrack_domain::sadd::SaddRow;
use camptrack_domain::site::SiteCode;
use camptrack_geo::{Cell, Coordinates};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Statement,
    TransactionSession,
};
use serde_json::json;
use uuid::Uuid;

use super::area::ResolvedArea;
use super::changes::{self, EntityKind, Operation, Placement};
use super::entities::site;
use super::page::{self, Page, PageRequest};
use super::rollups;
use super::scope::Scope;
use super::{Result, StorageError, Writer, audit, db, decode, decode_json, placeholder};
use crate::auth::Caller;

/// A site as the API shows it.
#[derive(Debug, Clone)]
pub struct Site {
    /// Server id.
    pub id: Uuid,
    /// Unique code, e.g. `CCCM-SO1101-0001`.
    pub code: String,
    /// Name.
    pub name: String,
    /// CCCM site type.
    pub site_type: SiteType,
    /// Open, closed, relocated or merged.
    pub operational_status: OperationalStatus,
    /// Formal or informal.
    pub formal_status: FormalStatus,
    /// Registered point.
    pub location: Coordinates,
    /// Resolution-15 H3 cell of the point.
    pub cell: Cell,
    /// Country p-code (ISO3).
    pub admin0_pcode: String,
    /// Admin1 p-code.
    pub admin1_pcode: Option<String>,
    /// Admin2 p-code.
    pub admin2_pcode: Option<String>,
    /// Admin3 p-code.
    pub admin3_pcode: Option<String>,
    /// Site management agency.
    pub management_org_id: Option<Uuid>,
    /// Kind of site management.
    pub management_type: Option<ManagementType>,
    /// Planned capacity (individuals).
    pub capacity: Option<i64>,
    /// Area in square metres.
    pub area_m2: Option<f64>,
    /// Opening date.
    pub opened_on: Option<NaiveDate>,
    /// Closing date.
    pub closed_on: Option<NaiveDate>,
    /// Figures from the latest counted assessment.
    pub current: CurrentFigures,
    /// Optimistic-concurrency version (site fields only; new figures do not bump it).
    pub version: i32,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed (fields or figures).
    pub updated_at: DateTime<Utc>,
}

/// A site's figures, copied from its latest counted assessment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurrentFigures {
    /// The assessment they come from; `None` before the first one.
    pub assessment_id: Option<Uuid>,
    /// Its visit date.
    pub assessed_on: Option<NaiveDate>,
    /// Households.
    pub households: i64,
    /// Individuals.
    pub individuals: i64,
    /// SADD rows.
    pub sadd: Vec<SaddRow>,
    /// Arrivals in the 3 months before the visit (0 when not given).
    pub arrivals: i64,
    /// Departures in the 3 months before the visit (0 when not given).
    pub departures: i64,
}

/// A new site, validated.
#[derive(Debug, Clone)]
pub struct SiteDraft {
    /// Unique code.
    pub code: SiteCode,
    /// Name.
    pub name: String,
    /// Type.
    pub site_type: SiteType,
    /// Formal status.
    pub formal_status: FormalStatus,
    /// Point.
    pub location: Coordinates,
    /// Country p-code.
    pub admin0_pcode: String,
    /// Admin1 p-code.
    pub admin1_pcode: Option<String>,
    /// Admin2 p-code.
    pub admin2_pcode: Option<String>,
    /// Admin3 p-code.
    pub admin3_pcode: Option<String>,
    /// Management agency.
    pub management_org_id: Option<Uuid>,
    /// Management type.
    pub management_type: Option<ManagementType>,
    /// Capacity.
    pub capacity: Option<i64>,
    /// Area in m2.
    pub area_m2: Option<f64>,
    /// Opening date.
    pub opened_on: Option<NaiveDate>,
}

/// How a site stops operating.
#[derive(Debug, Clone, Copy)]
pub struct Closure {
    /// `CLOSED`, `RELOCATED` or `MERGED`.
    pub status: OperationalStatus,
    /// The day it closed.
    pub closed_on: NaiveDate,
}

impl TryFrom<site::Model> for Site {
    type Error = StorageError;
    fn try_from(m: site::Model) -> Result<Self> {
        let location = Coordinates::new(m.lat, m.lon)
            .map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))?;
        let cell = Cell::try_from(m.cell)
            .map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))?;
        Ok(Self {
            site_type: decode(&m.site_type)?,
            operational_status: decode(&m.operational_status)?,
            formal_status: decode(&m.formal_status)?,
            management_type: m.management_type.as_deref().map(decode).transpose()?,
            current: CurrentFigures {
                assessment_id: m.current_assessment_id,
                assessed_on: m.current_assessed_on,
                households: m.current_households,
                individuals: m.current_individuals,
                sadd: decode_json(m.current_sadd)?,
                arrivals: m.current_arrivals.unwrap_or(0),
                departures: m.current_departures.unwrap_or(0),
            },
            id: m.id,
            code: m.code,
            name: m.name,
            location,
            cell,
            admin0_pcode: m.admin0_pcode,
            admin1_pcode: m.admin1_pcode,
            admin2_pcode: m.admin2_pcode,
            admin3_pcode: m.admin3_pcode,
            management_org_id: m.management_org_id,
            capacity: m.capacity,
            area_m2: m.area_m2,
            opened_on: m.opened_on,
            closed_on: m.closed_on,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// The audit form of a site row.
fn audit_json(m: &site::Model) -> serde_json::Value {
    json!({
        "code": m.code, "name": m.name, "siteType": m.site_type,
        "operationalStatus": m.operational_status, "formalStatus": m.formal_status,
        "lat": m.lat, "lon": m.lon, "cell": m.cell,
        "admin0Pcode": m.admin0_pcode, "admin1Pcode": m.admin1_pcode,
        "admin2Pcode": m.admin2_pcode, "admin3Pcode": m.admin3_pcode,
        "managementOrgId": m.management_org_id, "managementType": m.management_type,
        "capacity": m.capacity, "areaM2": m.area_m2,
        "openedOn": m.opened_on, "closedOn": m.closed_on, "version": m.version,
    })
}

pub(super) fn fields(draft: SiteDraft) -> site::ActiveModel {
    site::ActiveModel {
        code: Set(draft.code.as_str().to_owned()),
        name: Set(draft.name),
        site_type: Set(draft.site_type.to_string()),
        formal_status: Set(draft.formal_status.to_string()),
        lat: Set(draft.location.lat()),
        lon: Set(draft.location.lon()),
        cell: Set(draft.location.cell().as_i64()),
        cell_r5: Set(Some(rollups::cell_at(&draft.location, 5))),
        cell_r7: Set(Some(rollups::cell_at(&draft.location, 7))),
        cell_r9: Set(Some(rollups::cell_at(&draft.location, 9))),
        admin0_pcode: Set(draft.admin0_pcode),
        admin1_pcode: Set(draft.admin1_pcode),
        admin2_pcode: Set(draft.admin2_pcode),
        admin3_pcode: Set(draft.admin3_pcode),
        management_org_id: Set(draft.management_org_id),
        management_type: Set(draft.management_type.map(|t| t.to_string())),
        capacity: Set(draft.capacity),
        area_m2: Set(draft.area_m2),
        opened_on: Set(draft.opened_on),
        ..Default::default()
    }
}

/// Creates a site (open, no figures yet).
pub async fn create(db: &impl Writer, actor: Option<&Caller>, draft: SiteDraft) -> Result<Site> {
    super::scope::require_actor(actor, camptrack_domain::access::Write::Sites)?;
    let txn = db::begin_write(db).await?;
    if let Some(org) = draft.management_org_id {
        super::organisations::get(&txn, org).await?;
    }
    let now = super::now();
    let model = site::Entity::insert(site::ActiveModel {
        id: Set(Uuid::now_v7()),
        operational_status: Set(OperationalStatus::Open.to_string()),
        closed_on: Set(None),
        current_assessment_id: Set(None),
        current_assessed_on: Set(None),
        current_households: Set(0),
        current_individuals: Set(0),
        current_sadd: Set(json!([])),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..fields(draft)
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|e| super::taken(e, "site code"))?;
    let added = rollups::of_site(&model)?;
    rollups::apply(&txn, [(None, added.as_ref())]).await?;
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Site,
            entity_id: model.id.to_string(),
            operation: Operation::Create,
            after: Some(Placement::of(&model)),
            before: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        actor,
        audit::Change {
            action: "site.create",
            entity: "site",
            entity_id: model.id.to_string(),
            before: None,
            after: Some(audit_json(&model)),
        },
    )
    .await?;
    txn.commit().await?;
    Site::try_from(model)
}

/// What a site edit changes; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct SitePatch {
    /// New draft fields; the whole registrable state is replaced when given.
    pub draft: Option<SiteDraft>,
    /// Closure; sets the status and closing date.
    pub closure: Option<Closure>,
    /// Reopens a closed site.
    pub reopen: bool,
}

/// Applies `patch` to site `id` if `version` is still current; a stale version is a
/// conflict carrying the stored site.
pub async fn update(
    db: &impl Writer,
    actor: &Caller,
    id: Uuid,
    version: i32,
    patch: SitePatch,
) -> Result<Site> {
    super::scope::require_actor(Some(actor), camptrack_domain::access::Write::Sites)?;
    let txn = db::begin_write(db).await?;
    let before = rollups::lock_site(&txn, id).await?;
    super::check_version("site", &before.code, before.version, version, || {
        audit_json(&before)
    })?;
    let mut active = match patch.draft {
        Some(draft) => {
            if let Some(org) = draft.management_org_id {
                super::organisations::get(&txn, org).await?;
            }
            fields(draft)
        }
        None => site::ActiveModel::default(),
    };
    if let Some(closure) = patch.closure {
        if before.opened_on.is_some_and(|o| closure.closed_on < o) {
            return Err(camptrack_domain::Invalid::one(
                "closedOn",
                "a site cannot close before it opened",
            )
            .into());
        }
        active.operational_status = Set(closure.status.to_string());
        active.closed_on = Set(Some(closure.closed_on));
    } else if patch.reopen {
        active.operational_status = Set(OperationalStatus::Open.to_string());
        active.closed_on = Set(None);
    }
    active.id = Unchanged(id);
    active.version = Set(version + 1);
    active.updated_at = Set(super::now());
    active.created_at = NotSet;
    let after = site::Entity::update(active)
        .validate()?
        .filter(site::Column::Version.eq(version))
        .exec(&txn)
        .await
        .map_err(|e| super::taken(e, "site code"))?;
    let (old, new) = (rollups::of_site(&before)?, rollups::of_site(&after)?);
    rollups::apply(&txn, [(old.as_ref(), new.as_ref())]).await?;
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Site,
            entity_id: id.to_string(),
            operation: if patch.closure.is_some() {
                Operation::Close
            } else if patch.reopen {
                Operation::Reopen
            } else {
                Operation::Update
            },
            after: Some(Placement::of(&after)),
            before: Some(Placement::of(&before)),
        },
    )
    .await?;
    if (
        after.cell,
        &after.admin0_pcode,
        &after.admin1_pcode,
        &after.admin2_pcode,
        &after.admin3_pcode,
    ) != (
        before.cell,
        &before.admin0_pcode,
        &before.admin1_pcode,
        &before.admin2_pcode,
        &before.admin3_pcode,
    ) {
        // Its distributions move with it: devices whose area it entered or left get them.
        super::distributions::site_moved(&txn, &before, &after).await?;
    }
    audit::record(
        &txn,
        Some(actor),
        audit::Change {
            action: if patch.closure.is_some() {
                "site.close"
            } else {
                "site.update"
            },
            entity: "site",
            entity_id: id.to_string(),
            before: Some(audit_json(&before)),
            after: Some(audit_json(&after)),
        },
    )
    .await?;
    txn.commit().await?;
    Site::try_from(after)
}

/// Filters for listing sites.
#[derive(Debug, Default, Clone)]
pub struct SiteFilter {
    /// Only these types.
    pub site_types: Vec<SiteType>,
    /// Only these operational statuses.
    pub statuses: Vec<OperationalStatus>,
    /// Only sites whose admin0-3 p-code equals this one.
    pub admin_pcode: Option<String>,
    /// Only sites managed by this organisation.
    pub management_org_id: Option<Uuid>,
}

impl SiteFilter {
    /// The filter as SQL.
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if !self.site_types.is_empty() {
            cond = cond
                .add(site::Column::SiteType.is_in(self.site_types.iter().map(ToString::to_string)));
        }
        if !self.statuses.is_empty() {
            cond = cond.add(
                site::Column::OperationalStatus
                    .is_in(self.statuses.iter().map(ToString::to_string)),
            );
        }
        if let Some(p) = &self.admin_pcode {
            cond = cond.add(super::scope::pcode_at_any_level(
                &super::scope::SITE_ADMIN_COLUMNS,
                p,
            ));
        }
        if let Some(org) = self.management_org_id {
            cond = cond.add(site::Column::ManagementOrgId.eq(org));
        }
        cond
    }
}

/// Sites the caller may see, filtered, in creation order.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &SiteFilter,
    page: &PageRequest,
) -> Result<Page<Site>> {
    list_since(conn, scope, filter, None, None, page).await
}

/// [`list`], in id order also within an area (`in_area` from
/// [`super::area::site_id_condition`] over [`site_id_column`]), and restricted to sites
/// whose `updated_at` (fields or figures) is at or after `since` when given: the keyset
/// pages of exports.
pub async fn list_since(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &SiteFilter,
    in_area: Option<Condition>,
    since: Option<DateTime<Utc>>,
    page: &PageRequest,
) -> Result<Page<Site>> {
    let mut query = site::Entity::find()
        .filter(scope.sites())
        .filter(filter.condition());
    if let Some(area) = in_area {
        query = query.filter(area);
    }
    if let Some(since) = since {
        query = query.filter(site::Column::UpdatedAt.gte(since));
    }
    page::fetch(conn, query, site::Column::Id, page)
        .await?
        .try_map(Site::try_from)
}

/// The column holding a site's id, for area conditions.
pub fn site_id_column() -> impl ColumnTrait {
    site::Column::Id
}

/// Where an area list continues: after this id (and distance, for `near` lists).
#[derive(Debug, Clone, Copy)]
pub struct AreaCursor {
    /// Distance in whole millimetres, for `near` lists.
    pub distance_mm: Option<i64>,
    /// The last id seen.
    pub id: Uuid,
}

/// Sites the caller may see in `area`, filtered: by distance then id for a `near` area
/// (each with its distance), else by id.
pub async fn list_in_area(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    area: &ResolvedArea,
    filter: &SiteFilter,
    page: &PageRequest,
    after: Option<AreaCursor>,
) -> Result<Page<(Site, Option<f64>)>> {
    let located = super::area::sites_in(conn, scope, Some(area), filter.condition()).await?;
    let total = located.len() as u64;
    let center = area.near_center();
    let mut keyed: Vec<(Option<i64>, Uuid, Option<f64>)> = located
        .iter()
        .map(|s| {
            let d = center.map(|c| c.distance_m(&s.location));
            #[expect(
                clippy::cast_possible_truncation,
                reason = "millimetres of an Earth distance fit an i64"
            )]
            let mm = d.map(|d| (d * 1000.0).round() as i64);
            (mm, s.id, d)
        })
        .collect();
    keyed.sort_by_key(|(mm, id, _)| (*mm, *id));
    let start = after.map_or(0, |c| {
        keyed.partition_point(|(mm, id, _)| (*mm, *id) <= (c.distance_mm, c.id))
    });
    let first = usize::try_from(page.first).unwrap_or(usize::MAX);
    let window: Vec<_> = keyed.iter().skip(start).take(first + 1).copied().collect();
    let has_next = window.len() > first;
    let window = &window[..window.len().min(first)];
    let ids: Vec<Uuid> = window.iter().map(|(_, id, _)| *id).collect();
    let mut rows: std::collections::HashMap<Uuid, Site> = site::Entity::find()
        .filter(site::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| Site::try_from(m).map(|s| (s.id, s)))
        .collect::<Result<_>>()?;
    let items = window
        .iter()
        .filter_map(|(_, id, d)| rows.remove(id).map(|s| (s, *d)))
        .collect();
    Ok(Page {
        items,
        has_next,
        total: page.with_total.then_some(total),
    })
}

/// The site with `id`, if the caller may see it.
pub async fn get(conn: &impl ConnectionTrait, scope: Scope<'_>, id: Uuid) -> Result<Site> {
    site::Entity::find_by_id(id)
        .filter(scope.sites())
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("site", id))?
        .try_into()
}

/// The site with `code`, if the caller may see it.
pub async fn get_by_code(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    code: &str,
) -> Result<Site> {
    site::Entity::find()
        .filter(site::Column::Code.eq(code.to_ascii_uppercase()))
        .filter(scope.sites())
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("site", code))?
        .try_into()
}

/// Sites by id the caller may see, for batch loading of nested fields.
pub async fn by_ids(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    ids: &[Uuid],
) -> Result<Vec<Site>> {
    site::Entity::find()
        .filter(site::Column::Id.is_in(ids.iter().copied()))
        .filter(scope.sites())
        .all(conn)
        .await?
        .into_iter()
        .map(Site::try_from)
        .collect()
}

/// Whether any site exists.
pub async fn any(conn: &impl ConnectionTrait) -> Result<bool> {
    Ok(site::Entity::find().one(conn).await?.is_some())
}

/// Writes sites' current figures (never bumps their versions: those guard their fields)
/// and moves the rollups with them, one statement per [`SITES_PER_UPDATE`] sites. Each
/// site row is as read under [`super::rollups::lock_sites`] in the same transaction.
pub(super) async fn set_current(
    conn: &impl ConnectionTrait,
    changes: &[(site::Model, CurrentFigures)],
) -> Result<()> {
    let at = super::now();
    let backend = conn.get_database_backend();
    let mut moves = Vec::with_capacity(changes.len());
    for chunk in changes.chunks(SITES_PER_UPDATE) {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 8 + 1);
        for (before, figures) in chunk {
            let sadd = json!(figures.sadd);
            let (arrivals, departures) = match figures.assessment_id {
                Some(_) => (Some(figures.arrivals), Some(figures.departures)),
                None => (None, None),
            };
            let first = values.len();
            values.extend([
                before.id.into(),
                figures.assessment_id.into(),
                figures.assessed_on.into(),
                figures.households.into(),
                figures.individuals.into(),
                sadd.clone().into(),
                arrivals.into(),
                departures.into(),
            ]);
            let marks: Vec<String> = (first + 1..=values.len())
                .map(|n| placeholder(backend, n))
                .collect();
            rows.push(format!("({})", marks.join(", ")));
            let after = site::Model {
                current_assessment_id: figures.assessment_id,
                current_assessed_on: figures.assessed_on,
                current_households: figures.households,
                current_individuals: figures.individuals,
                current_sadd: sadd,
                current_arrivals: arrivals,
                current_departures: departures,
                ..before.clone()
            };
            moves.push((rollups::of_site(before)?, rollups::of_site(&after)?));
        }
        values.push(at.into());
        let sql = format!(
            "WITH v (id, assessment_id, assessed_on, households, individuals, sadd, arrivals, departures) AS (VALUES {}) \
             UPDATE sites SET current_assessment_id = v.assessment_id, current_assessed_on = v.assessed_on, \
             current_households = v.households, current_individuals = v.individuals, current_sadd = v.sadd, \
             current_arrivals = v.arrivals, current_departures = v.departures, updated_at = {} \
             FROM v WHERE sites.id = v.id",
            rows.join(", "),
            placeholder(backend, values.len())
        );
        conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    rollups::apply(
        conn,
        moves.iter().map(|(old, new)| (old.as_ref(), new.as_ref())),
    )
    .await
}

/// Sites per current-figures update (8 bound values each).
const SITES_PER_UPDATE: usize = 1_000;
