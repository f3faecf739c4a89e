//! The one predicate builder: what a caller may see and touch. Every surface (lists, single
//! reads, nested fields, aggregates, exports) asks it; none keeps its own copy of the rule.

use camptrack_domain::codes::Role;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition};

use super::entities::{
    distribution, openrosa_submission, site, site_assessment, stock_movement, warehouse,
};
use crate::auth::{AccountArea, Caller};

/// The caller's reach, derived once per request.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    caller: &'a Caller,
}

impl<'a> Scope<'a> {
    /// The scope of `caller`.
    pub fn of(caller: &'a Caller) -> Self {
        Self { caller }
    }

    /// The caller behind this scope.
    pub fn caller(&self) -> &'a Caller {
        self.caller
    }

    /// Whether the caller sees every site ([`Self::sites`] filters nothing), so per-cell
    /// rollups of all sites answer its aggregates.
    pub fn sees_every_site(&self) -> bool {
        !(self.caller.role == Role::Enumerator && self.caller.area.is_bound())
    }

    /// Sites the caller may see: all, except that an enumerator bound to an area sees only
    /// the sites in it.
    pub fn sites(&self) -> Condition {
        match self.caller.role {
            Role::Enumerator if self.caller.area.is_bound() => area_condition(&self.caller.area),
            _ => Condition::all(),
        }
    }

    /// Raw assessments the caller may see: all for admins and coordinators, its own
    /// organisation's for partners, those at sites in its area for enumerators.
    pub fn assessments(&self) -> Condition {
        match self.caller.role {
            Role::Admin | Role::Coordinator => Condition::all(),
            Role::Partner => own_organisation(self.caller, site_assessment::Column::OrganisationId),
            Role::Enumerator => self.at_sites_in_area(site_assessment::Column::SiteId),
        }
    }

    /// Warehouses the caller may see: all for admins and coordinators, its own
    /// organisation's for partners and enumerators (who name them as a distribution's
    /// source, but never read their stock).
    pub fn warehouses(&self) -> Condition {
        if self.caller.role.reads_everything() {
            Condition::all()
        } else {
            own_organisation(self.caller, warehouse::Column::OrganisationId)
        }
    }

    /// Raw stock (movements and the balances summed from them) the caller may see: all for
    /// admins and coordinators, its own organisation's warehouses' for partners, none for
    /// enumerators.
    pub fn stock(&self) -> Condition {
        match self.caller.role {
            Role::Admin | Role::Coordinator => Condition::all(),
            Role::Partner => {
                let own = Query::select()
                    .column(warehouse::Column::Id)
                    .from(warehouse::Entity)
                    .cond_where(self.warehouses())
                    .to_owned();
                Condition::all().add(stock_movement::Column::WarehouseId.in_subquery(own))
            }
            Role::Enumerator => nothing(),
        }
    }

    /// Whether the caller reads any raw stock at all (movements, balances): everyone but
    /// enumerators, as [`Self::stock`] says.
    pub fn reads_stock(&self) -> bool {
        !matches!(self.caller.role, Role::Enumerator)
    }

    /// Distributions the caller may see: all for admins and coordinators, those its own
    /// organisation implements for partners, those at sites in its area for enumerators.
    pub fn distributions(&self) -> Condition {
        match self.caller.role {
            Role::Admin | Role::Coordinator => Condition::all(),
            Role::Partner => own_organisation(self.caller, distribution::Column::ImplementingOrgId),
            Role::Enumerator => self.at_sites_in_area(distribution::Column::SiteId),
        }
    }

    /// Distributions counted in the coordinator insight aggregates (gaps, needs versus
    /// reached, multi-partner coverage): every organisation's for admins, coordinators and
    /// partners, since these answers show figures per site or group (suppressed for
    /// partners below the minimum) and never a partner-invisible row; those at sites in
    /// its area for an enumerator. Lists of raw rows (the 4W roll-up) use
    /// [`Self::distributions`].
    pub fn distributions_in_aggregates(&self) -> Condition {
        match self.caller.role {
            Role::Admin | Role::Coordinator | Role::Partner => Condition::all(),
            Role::Enumerator => self.at_sites_in_area(distribution::Column::SiteId),
        }
    }

    /// Raw OpenRosa submissions (their XML and media) the caller may see: all for admins
    /// and coordinators, those sent by accounts of its own organisation for everyone else.
    pub fn openrosa_submissions(&self) -> Condition {
        if self.caller.role.reads_everything() {
            Condition::all()
        } else {
            own_organisation(self.caller, openrosa_submission::Column::OrganisationId)
        }
    }

    /// Webhooks the caller may see and manage: all for admins and coordinators, those of
    /// its own organisation for partners, none for enumerators (who register none).
    pub fn webhooks(&self) -> Condition {
        use super::entities::webhook;
        match self.caller.role {
            Role::Admin | Role::Coordinator => Condition::all(),
            Role::Partner => own_organisation(self.caller, webhook::Column::OrganisationId),
            Role::Enumerator => nothing(),
        }
    }

    /// Whether the caller may move stock in (or draw a distribution from) a warehouse of
    /// `organisation_id`: admins and coordinators anywhere, others only their own.
    pub fn writes_for(&self, organisation_id: uuid::Uuid) -> bool {
        self.caller.role.reads_everything() || self.caller.organisation_id == Some(organisation_id)
    }

    /// Records whose `site_column` names a site in an enumerator's area (all when unbound).
    fn at_sites_in_area(&self, site_column: impl ColumnTrait) -> Condition {
        if self.caller.area.is_bound() {
            let sites_in_area = Query::select()
                .column(site::Column::Id)
                .from(site::Entity)
                .cond_where(area_condition(&self.caller.area))
                .to_owned();
            Condition::all().add(site_column.in_subquery(sites_in_area))
        } else {
            Condition::all()
        }
    }

    /// Whether the caller may see the figures of a site with `households` unsuppressed.
    pub fn sees_site_figures(&self, households: i64, min_households: i64) -> bool {
        !self.caller.role.sees_suppressed_figures() || households >= min_households
    }

    /// Whether `site` lies in the caller's area (always, when the caller is unbound).
    pub fn site_in_area(&self, site: &site::Model) -> bool {
        let area = &self.caller.area;
        !area.is_bound() || site_in(area, site)
    }

    /// The area a device syncs: a bound enumerator's own area, whatever it asked for (an
    /// enumerator cannot widen its reach); for everyone else the area asked for, if any.
    pub fn sync_area(&self, asked: Option<&'a AccountArea>) -> Option<&'a AccountArea> {
        match self.caller.role {
            Role::Enumerator if self.caller.area.is_bound() => Some(&self.caller.area),
            _ => asked.filter(|a| a.is_bound()),
        }
    }

    /// Change-log rows the caller may receive for `area` (from [`Self::sync_area`]):
    /// - reference data and the catalogue (rounds, admin areas, items, kits) always;
    /// - sites and assessments when the site was in the area before or after the write, so
    ///   that a record leaving the area reaches the device as a tombstone;
    /// - distributions likewise (placed at their site), and for partners only while the
    ///   implementing organisation was its own before or after the write (one reassigned
    ///   away reaches it as a tombstone; another organisation's never reaches it);
    /// - stock movements (placed at their warehouse) only for those who read raw stock:
    ///   admins and coordinators, and partners for their own organisation's warehouses;
    ///   never enumerators.
    ///
    /// This decides which rows are read at all; each record is then resolved under the
    /// same scope as its list ([`Self::distributions`], [`Self::stock`], ...).
    pub fn change_log(&self, area: Option<&AccountArea>) -> Condition {
        use super::entities::change_log::Column as C;
        let placed = match area {
            None => Condition::all(),
            Some(area) => Condition::any()
                .add(area_over(
                    area,
                    C::Cell,
                    [
                        C::Admin0Pcode,
                        C::Admin1Pcode,
                        C::Admin2Pcode,
                        C::Admin3Pcode,
                    ],
                ))
                .add(area_over(
                    area,
                    C::PrevCell,
                    [
                        C::PrevAdmin0Pcode,
                        C::PrevAdmin1Pcode,
                        C::PrevAdmin2Pcode,
                        C::PrevAdmin3Pcode,
                    ],
                )),
        };
        let owned = || match self.caller.organisation_id {
            Some(org) => Condition::any()
                .add(C::OrgId.eq(org))
                .add(C::PrevOrgId.eq(org)),
            None => nothing(),
        };
        let (distributions, movements) = match self.caller.role {
            Role::Admin | Role::Coordinator => (placed.clone(), placed.clone()),
            // `placed` may be an OR of area terms: AND it with ownership, never extend it.
            Role::Partner => (
                Condition::all().add(placed.clone()).add(owned()),
                Condition::all().add(placed.clone()).add(owned()),
            ),
            Role::Enumerator => (placed.clone(), nothing()),
        };
        Condition::any()
            .add(C::Entity.is_in(["round", "admin_area", "item", "kit"]))
            .add(
                Condition::all()
                    .add(C::Entity.is_in(["site", "assessment"]))
                    .add(placed),
            )
            .add(
                Condition::all()
                    .add(C::Entity.eq("distribution"))
                    .add(distributions),
            )
            .add(
                Condition::all()
                    .add(C::Entity.eq("stock_movement"))
                    .add(movements),
            )
    }
}

/// Whether `site` lies in `area` (its cell is a descendant of one of the area's cells, or
/// one of its admin0-3 p-codes is one of the area's p-codes).
pub fn site_in(area: &AccountArea, site: &site::Model) -> bool {
    point_in(
        area,
        site.cell,
        [
            Some(&site.admin0_pcode),
            site.admin1_pcode.as_ref(),
            site.admin2_pcode.as_ref(),
            site.admin3_pcode.as_ref(),
        ],
    )
}

/// Whether `store` lies in `area`, by the same rule as sites.
pub fn warehouse_in(area: &AccountArea, store: &warehouse::Model) -> bool {
    point_in(
        area,
        store.cell,
        [
            Some(&store.admin0_pcode),
            store.admin1_pcode.as_ref(),
            store.admin2_pcode.as_ref(),
            store.admin3_pcode.as_ref(),
        ],
    )
}

fn point_in(area: &AccountArea, cell: i64, admins: [Option<&String>; 4]) -> bool {
    area.cells.iter().any(|c| c.range().contains(cell))
        || area
            .pcodes
            .iter()
            .any(|p| admins.into_iter().flatten().any(|code| code == p.as_str()))
}

fn own_organisation(caller: &Caller, column: impl ColumnTrait) -> Condition {
    match caller.organisation_id {
        Some(org) => Condition::all().add(column.eq(org)),
        // A partner without an organisation owns nothing.
        None => nothing(),
    }
}

fn nothing() -> Condition {
    Condition::all().add(Expr::cust("1 = 0"))
}

/// Sites within an account's area, as SQL.
fn area_condition(area: &AccountArea) -> Condition {
    area_over(area, site::Column::Cell, SITE_ADMIN_COLUMNS)
}

/// Rows whose `cell` lies in one of the area's cell ranges or whose admin0-3 p-code
/// columns hold one of its p-codes. A row with a null cell and null p-codes matches none.
fn area_over<C: ColumnTrait>(area: &AccountArea, cell: C, admins: [C; 4]) -> Condition {
    let mut any = Condition::any();
    for c in &area.cells {
        let range = c.range();
        any = any.add(cell.between(range.lo, range.hi));
    }
    for pcode in &area.pcodes {
        any = any.add(pcode_at_any_level(&admins, pcode.as_str()));
    }
    any
}

/// Rows whose admin0-3 p-code columns hold `pcode`: a p-code names an admin area at any
/// level, so a filter by p-code matches whichever level carries it.
pub(super) fn pcode_at_any_level<C: ColumnTrait>(admins: &[C; 4], pcode: &str) -> Condition {
    admins.iter().fold(Condition::any(), |any, column| {
        any.add(column.eq(pcode.to_owned()))
    })
}

/// The admin0-3 p-code columns of `sites`.
pub(super) const SITE_ADMIN_COLUMNS: [site::Column; 4] = [
    site::Column::Admin0Pcode,
    site::Column::Admin1Pcode,
    site::Column::Admin2Pcode,
    site::Column::Admin3Pcode,
];

/// The ids of sites carrying `pcode` at any admin level, for filtering records by their site.
pub(super) fn site_ids_with_pcode(pcode: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column((site::Entity, site::Column::Id))
        .from(site::Entity)
        .cond_where(pcode_at_any_level(&SITE_ADMIN_COLUMNS, pcode))
        .to_owned()
}

/// Refuses with `Forbidden` unless `actor` may make this kind of write; `None` is the
/// command line or the system (migrations, `camptrack token create`), which may.
pub fn require_actor(
    actor: Option<&Caller>,
    write: camptrack_domain::access::Write,
) -> super::Result<()> {
    actor.map_or(Ok(()), |caller| Scope::of(caller).require(write))
}

impl Scope<'_> {
    /// Refuses with `Forbidden` unless the caller's role may make this kind of write.
    pub fn require(&self, write: camptrack_domain::access::Write) -> super::Result<()> {
        if self.caller.role.may(write) {
            Ok(())
        } else {
            Err(super::StorageError::Forbidden(format!(
                "a {} account may not do this",
                self.caller.role
            )))
        }
    }
}
