//! Who may do what: the role table of design.md as functions, so every surface asks the same
//! question the same way.

use crate::codes::Role;

/// Writes that the role table governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Create or edit organisations.
    Organisations,
    /// Create or edit accounts and their tokens.
    Accounts,
    /// Load or edit admin areas (reference data).
    AdminAreas,
    /// Create, edit or close sites.
    Sites,
    /// Create or edit assessment rounds.
    Rounds,
    /// Submit a site assessment or correct one.
    Assessments,
    /// Review (approve, reject, flag) a site assessment.
    Reviews,
    /// Create or edit catalogue items and kits.
    Catalogue,
    /// Create or edit warehouses (partners: their own organisation's).
    Warehouses,
    /// Record stock movements, transfers and corrections (partners: their own stock).
    Stock,
    /// Record distributions (partners: their own; enumerators: at sites in their area).
    Distributions,
    /// Register and manage webhooks (partners: their own organisation's).
    Webhooks,
}

impl Role {
    /// Whether this role may make this kind of write at all (scope rules, such as an
    /// enumerator's area, apply on top).
    pub fn may(self, write: Write) -> bool {
        match self {
            Role::Admin => true,
            Role::Coordinator => !matches!(
                write,
                Write::Organisations | Write::Accounts | Write::AdminAreas
            ),
            Role::Partner => matches!(
                write,
                Write::Warehouses | Write::Stock | Write::Distributions | Write::Webhooks
            ),
            Role::Enumerator => matches!(write, Write::Assessments | Write::Distributions),
        }
    }

    /// Whether this role reads every organisation's raw records.
    pub fn reads_everything(self) -> bool {
        matches!(self, Role::Admin | Role::Coordinator)
    }

    /// Whether this role sees figures with small counts suppressed.
    pub fn sees_suppressed_figures(self) -> bool {
        matches!(self, Role::Partner)
    }

    /// Whether an account of this role must belong to an organisation.
    pub fn needs_organisation(self) -> bool {
        matches!(self, Role::Partner | Role::Enumerator)
    }
}

#[cfg(test)]
mod tests {
    use super::Write;
    use crate::codes::Role;

    #[test]
    fn only_admins_manage_organisations_accounts_and_reference_data() {
        for w in [Write::Organisations, Write::Accounts, Write::AdminAreas] {
            assert!(Role::Admin.may(w));
            assert!(!Role::Coordinator.may(w));
            assert!(!Role::Partner.may(w));
            assert!(!Role::Enumerator.may(w));
        }
    }

    #[test]
    fn partners_keep_their_own_stock_and_distributions_but_not_the_catalogue() {
        for w in [
            Write::Warehouses,
            Write::Stock,
            Write::Distributions,
            Write::Webhooks,
        ] {
            assert!(Role::Partner.may(w));
            assert!(Role::Coordinator.may(w));
        }
        assert!(!Role::Partner.may(Write::Catalogue));
        assert!(Role::Coordinator.may(Write::Catalogue));
        assert!(!Role::Partner.may(Write::Assessments));
    }

    #[test]
    fn enumerators_submit_assessments_and_distributions_and_nothing_else() {
        assert!(Role::Enumerator.may(Write::Assessments));
        assert!(Role::Enumerator.may(Write::Distributions));
        for w in [
            Write::Sites,
            Write::Rounds,
            Write::Reviews,
            Write::Catalogue,
            Write::Warehouses,
            Write::Stock,
            Write::Webhooks,
        ] {
            assert!(!Role::Enumerator.may(w));
            assert!(Role::Coordinator.may(w));
        }
    }
}
