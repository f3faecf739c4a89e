//! The code lists of domain.md (CCCM/IASC site types, DTM statuses, sectors, needs...).

use crate::code_list;
use crate::code_list::CodeListInfo;

code_list! {
    /// What an account may do; see the role table in design.md.
    Role {
        Admin => ("ADMIN", "Administrator", "Administrateur"),
        Coordinator => ("COORDINATOR", "Cluster coordinator", "Coordinateur de cluster"),
        Partner => ("PARTNER", "Partner agency", "Organisation partenaire"),
        Enumerator => ("ENUMERATOR", "Enumerator", "Enquêteur"),
    }
}

code_list! {
    /// The kind of an organisation.
    OrganisationType {
        UnAgency => ("UN_AGENCY", "UN agency", "Agence des Nations Unies"),
        Ingo => ("INGO", "International NGO", "ONG internationale"),
        Nngo => ("NNGO", "National NGO", "ONG nationale"),
        Government => ("GOVERNMENT", "Government", "Gouvernement"),
        RedCrossRedCrescent => ("RED_CROSS_RED_CRESCENT", "Red Cross / Red Crescent", "Croix-Rouge / Croissant-Rouge"),
        Donor => ("DONOR", "Donor", "Bailleur de fonds"),
        CommunityBased => ("COMMUNITY_BASED", "Community-based organisation", "Organisation communautaire"),
        PrivateSector => ("PRIVATE_SECTOR", "Private sector", "Secteur privé"),
        Other => ("OTHER", "Other", "Autre"),
    }
}

code_list! {
    /// CCCM/IASC site typology, plus DTM's host-community locations.
    SiteType {
        PlannedCamp => ("PLANNED_CAMP", "Planned camp", "Camp planifié"),
        SelfSettledCamp => ("SELF_SETTLED_CAMP", "Self-settled camp", "Camp spontané"),
        CollectiveCentre => ("COLLECTIVE_CENTRE", "Collective centre", "Centre collectif"),
        ReceptionCentre => ("RECEPTION_CENTRE", "Reception centre", "Centre d'accueil"),
        TransitCentre => ("TRANSIT_CENTRE", "Transit centre", "Centre de transit"),
        EvacuationCentre => ("EVACUATION_CENTRE", "Evacuation centre", "Centre d'évacuation"),
        HostCommunity => ("HOST_COMMUNITY", "Host community", "Communauté d'accueil"),
    }
}

code_list! {
    /// Whether a site still operates.
    OperationalStatus {
        Open => ("OPEN", "Open", "Ouvert"),
        Closed => ("CLOSED", "Closed", "Fermé"),
        Relocated => ("RELOCATED", "Relocated", "Relocalisé"),
        Merged => ("MERGED", "Merged", "Fusionné"),
    }
}

code_list! {
    /// Whether a site is formally recognised.
    FormalStatus {
        Formal => ("FORMAL", "Formal", "Formel"),
        Informal => ("INFORMAL", "Informal", "Informel"),
    }
}

code_list! {
    /// Who manages a site.
    ManagementType {
        Government => ("GOVERNMENT", "Government", "Gouvernement"),
        UnAgency => ("UN_AGENCY", "UN agency", "Agence des Nations Unies"),
        Ingo => ("INGO", "International NGO", "ONG internationale"),
        Nngo => ("NNGO", "National NGO", "ONG nationale"),
        Community => ("COMMUNITY", "Community / self-managed", "Communauté / autogéré"),
        None => ("NONE", "No site management", "Aucune gestion de site"),
    }
}

code_list! {
    /// The review state of a site assessment. Every state but `REJECTED` counts.
    ReviewStatus {
        Submitted => ("SUBMITTED", "Submitted", "Soumis"),
        Approved => ("APPROVED", "Approved", "Approuvé"),
        Rejected => ("REJECTED", "Rejected", "Rejeté"),
        NeedsFollowUp => ("NEEDS_FOLLOW_UP", "Needs follow-up", "Suivi nécessaire"),
    }
}

code_list! {
    /// Sex in sex- and age-disaggregated data.
    Sex {
        Female => ("F", "Female", "Féminin"),
        Male => ("M", "Male", "Masculin"),
        Other => ("X", "Other / non-binary", "Autre / non binaire"),
        Unspecified => ("U", "Unspecified", "Non précisé"),
    }
}

code_list! {
    /// Why people were displaced.
    DisplacementReason {
        Conflict => ("CONFLICT", "Armed conflict", "Conflit armé"),
        CommunalClashes => ("COMMUNAL_CLASHES", "Communal clashes", "Affrontements communautaires"),
        Flood => ("FLOOD", "Flood", "Inondation"),
        Drought => ("DROUGHT", "Drought", "Sécheresse"),
        Storm => ("STORM", "Storm / cyclone", "Tempête / cyclone"),
        Earthquake => ("EARTHQUAKE", "Earthquake", "Tremblement de terre"),
        Fire => ("FIRE", "Fire", "Incendie"),
        Eviction => ("EVICTION", "Eviction", "Expulsion"),
        Economic => ("ECONOMIC", "Lack of livelihoods", "Manque de moyens de subsistance"),
        Other => ("OTHER", "Other", "Autre"),
    }
}

code_list! {
    /// The most common shelter type at a site.
    ShelterType {
        Tent => ("TENT", "Tent", "Tente"),
        EmergencyShelter => ("EMERGENCY_SHELTER", "Emergency shelter", "Abri d'urgence"),
        Makeshift => ("MAKESHIFT", "Makeshift shelter", "Abri de fortune"),
        Transitional => ("TRANSITIONAL", "Transitional shelter", "Abri transitionnel"),
        CollectiveBuilding => ("COLLECTIVE_BUILDING", "Collective building", "Bâtiment collectif"),
        HostFamily => ("HOST_FAMILY", "With host family", "En famille d'accueil"),
        Solid => ("SOLID", "Solid / permanent house", "Maison en dur"),
        None => ("NONE", "No shelter (open air)", "Sans abri (plein air)"),
    }
}

code_list! {
    /// Shelter problems observed at a site.
    ShelterCondition {
        Overcrowded => ("OVERCROWDED", "Overcrowded", "Surpeuplé"),
        Damaged => ("DAMAGED", "Damaged shelters", "Abris endommagés"),
        Flooded => ("FLOODED", "Flooding", "Inondé"),
        NoPrivacy => ("NO_PRIVACY", "No privacy / no partitions", "Pas d'intimité / pas de cloisons"),
        NoLighting => ("NO_LIGHTING", "No lighting", "Pas d'éclairage"),
        NoLocks => ("NO_LOCKS", "No lockable doors", "Pas de portes verrouillables"),
        Adequate => ("ADEQUATE", "Adequate", "Adéquat"),
    }
}

code_list! {
    /// Humanitarian sectors (clusters).
    Sector {
        ShelterNfi => ("SHELTER_NFI", "Shelter / NFI", "Abris / articles non alimentaires"),
        Cccm => ("CCCM", "Camp coordination and camp management", "Coordination et gestion des camps"),
        Wash => ("WASH", "Water, sanitation and hygiene", "Eau, hygiène et assainissement"),
        Health => ("HEALTH", "Health", "Santé"),
        Nutrition => ("NUTRITION", "Nutrition", "Nutrition"),
        FoodSecurity => ("FOOD_SECURITY", "Food security", "Sécurité alimentaire"),
        Education => ("EDUCATION", "Education", "Éducation"),
        Protection => ("PROTECTION", "Protection", "Protection"),
        Livelihoods => ("LIVELIHOODS", "Livelihoods", "Moyens de subsistance"),
    }
}

code_list! {
    /// Priority needs reported at a site, ranked by the key informants.
    PriorityNeed {
        Food => ("FOOD", "Food", "Nourriture"),
        Shelter => ("SHELTER", "Shelter", "Abri"),
        Nfi => ("NFI", "Non-food items", "Articles non alimentaires"),
        Water => ("WATER", "Drinking water", "Eau potable"),
        Sanitation => ("SANITATION", "Sanitation / latrines", "Assainissement / latrines"),
        Health => ("HEALTH", "Health care", "Soins de santé"),
        Education => ("EDUCATION", "Education", "Éducation"),
        Protection => ("PROTECTION", "Protection / security", "Protection / sécurité"),
        Livelihoods => ("LIVELIHOODS", "Livelihoods", "Moyens de subsistance"),
        Documentation => ("DOCUMENTATION", "Civil documentation", "Documents d'état civil"),
    }
}

code_list! {
    /// Groups with specific needs counted at a site (individuals).
    Vulnerability {
        PregnantLactating => ("PREGNANT_LACTATING", "Pregnant or lactating women", "Femmes enceintes ou allaitantes"),
        UnaccompaniedChildren => ("UNACCOMPANIED_CHILDREN", "Unaccompanied or separated children", "Enfants non accompagnés ou séparés"),
        Disability => ("DISABILITY", "Persons with disabilities", "Personnes handicapées"),
        ChronicIllness => ("CHRONIC_ILLNESS", "Persons with chronic illness", "Personnes atteintes de maladies chroniques"),
        OlderPersonsAlone => ("OLDER_PERSONS_ALONE", "Older persons living alone", "Personnes âgées seules"),
        FemaleHeadedHouseholds => ("FEMALE_HEADED_HOUSEHOLDS", "Female-headed households", "Ménages dirigés par une femme"),
        ChildHeadedHouseholds => ("CHILD_HEADED_HOUSEHOLDS", "Child-headed households", "Ménages dirigés par un enfant"),
    }
}

code_list! {
    /// What a catalogue item is for (the cluster that plans it).
    ItemCategory {
        Shelter => ("SHELTER", "Shelter", "Abri"),
        Nfi => ("NFI", "Non-food item", "Article non alimentaire"),
        Wash => ("WASH", "Water, sanitation and hygiene", "Eau, hygiène et assainissement"),
    }
}

code_list! {
    /// The base unit an item is counted in; every stock quantity is in base units.
    ItemUnit {
        Piece => ("PIECE", "Piece", "Pièce"),
        Set => ("SET", "Set", "Lot"),
        Roll => ("ROLL", "Roll", "Rouleau"),
        Kit => ("KIT", "Kit", "Kit"),
        Kilogram => ("KG", "Kilogram", "Kilogramme"),
        Litre => ("LITRE", "Litre", "Litre"),
        Metre => ("METRE", "Metre", "Mètre"),
    }
}

code_list! {
    /// The kind of a stock movement; it fixes the movement's sign (see `stock.rs`).
    MovementKind {
        Receipt => ("RECEIPT", "Receipt", "Réception"),
        Dispatch => ("DISPATCH", "Dispatch", "Expédition"),
        TransferOut => ("TRANSFER_OUT", "Transfer out", "Transfert sortant"),
        TransferIn => ("TRANSFER_IN", "Transfer in", "Transfert entrant"),
        Adjustment => ("ADJUSTMENT", "Adjustment (stock count, found)", "Ajustement (inventaire, retrouvé)"),
        Loss => ("LOSS", "Loss (lost, damaged, expired)", "Perte (perdu, endommagé, périmé)"),
    }
}

code_list! {
    /// How assistance reaches households.
    DistributionModality {
        InKind => ("IN_KIND", "In kind", "En nature"),
        Cash => ("CASH", "Cash", "Espèces"),
        Voucher => ("VOUCHER", "Voucher", "Coupons"),
    }
}

code_list! {
    /// Where a distribution stands.
    DistributionStatus {
        Planned => ("PLANNED", "Planned", "Planifiée"),
        Ongoing => ("ONGOING", "Ongoing", "En cours"),
        Completed => ("COMPLETED", "Completed", "Terminée"),
        Cancelled => ("CANCELLED", "Cancelled", "Annulée"),
    }
}

/// Every code list, for clients building forms.
pub const ALL_LISTS: &[CodeListInfo] = &[
    Role::LIST,
    OrganisationType::LIST,
    SiteType::LIST,
    OperationalStatus::LIST,
    FormalStatus::LIST,
    ManagementType::LIST,
    ReviewStatus::LIST,
    Sex::LIST,
    DisplacementReason::LIST,
    ShelterType::LIST,
    ShelterCondition::LIST,
    Sector::LIST,
    PriorityNeed::LIST,
    Vulnerability::LIST,
    ItemCategory::LIST,
    ItemUnit::LIST,
    MovementKind::LIST,
    DistributionModality::LIST,
    DistributionStatus::LIST,
];
