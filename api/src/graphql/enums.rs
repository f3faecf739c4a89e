//! The code lists as GraphQL enums. Each mirrors its domain list (`remote`), so a
//! mismatch fails to compile; the value names are the stored codes.

use async_graphql::Enum;

/// What an account may do; see the role table in design.md.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::Role")]
pub enum Role {
    /// Administrator
    Admin,
    /// Cluster coordinator
    Coordinator,
    /// Partner agency
    Partner,
    /// Enumerator
    Enumerator,
}

/// The kind of an organisation.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::OrganisationType")]
pub enum OrganisationType {
    /// UN agency
    UnAgency,
    /// International NGO
    Ingo,
    /// National NGO
    Nngo,
    /// Government
    Government,
    /// Red Cross / Red Crescent
    RedCrossRedCrescent,
    /// Donor
    Donor,
    /// Community-based organisation
    CommunityBased,
    /// Private sector
    PrivateSector,
    /// Other
    Other,
}

/// CCCM/IASC site typology, plus DTM's host-community locations.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::SiteType")]
pub enum SiteType {
    /// Planned camp
    PlannedCamp,
    /// Self-settled camp
    SelfSettledCamp,
    /// Collective centre
    CollectiveCentre,
    /// Reception centre
    ReceptionCentre,
    /// Transit centre
    TransitCentre,
    /// Evacuation centre
    EvacuationCentre,
    /// Host community
    HostCommunity,
}

/// Whether a site still operates.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::OperationalStatus")]
pub enum OperationalStatus {
    /// Open
    Open,
    /// Closed
    Closed,
    /// Relocated
    Relocated,
    /// Merged
    Merged,
}

/// Whether a site is formally recognised.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::FormalStatus")]
pub enum FormalStatus {
    /// Formal
    Formal,
    /// Informal
    Informal,
}

/// Who manages a site.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::ManagementType")]
pub enum ManagementType {
    /// Government
    Government,
    /// UN agency
    UnAgency,
    /// International NGO
    Ingo,
    /// National NGO
    Nngo,
    /// Community / self-managed
    Community,
    /// No site management
    None,
}

/// The review state of a site assessment. Every state but `REJECTED` counts.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::ReviewStatus")]
pub enum ReviewStatus {
    /// Submitted
    Submitted,
    /// Approved
    Approved,
    /// Rejected
    Rejected,
    /// Needs follow-up
    NeedsFollowUp,
}

/// Sex in sex- and age-disaggregated data.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::Sex")]
pub enum Sex {
    /// Female
    #[graphql(name = "F")]
    Female,
    /// Male
    #[graphql(name = "M")]
    Male,
    /// Other / non-binary
    #[graphql(name = "X")]
    Other,
    /// Unspecified
    #[graphql(name = "U")]
    Unspecified,
}

/// Why people were displaced.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::DisplacementReason")]
pub enum DisplacementReason {
    /// Armed conflict
    Conflict,
    /// Communal clashes
    CommunalClashes,
    /// Flood
    Flood,
    /// Drought
    Drought,
    /// Storm / cyclone
    Storm,
    /// Earthquake
    Earthquake,
    /// Fire
    Fire,
    /// Eviction
    Eviction,
    /// Lack of livelihoods
    Economic,
    /// Other
    Other,
}

/// The most common shelter type at a site.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::ShelterType")]
pub enum ShelterType {
    /// Tent
    Tent,
    /// Emergency shelter
    EmergencyShelter,
    /// Makeshift shelter
    Makeshift,
    /// Transitional shelter
    Transitional,
    /// Collective building
    CollectiveBuilding,
    /// With host family
    HostFamily,
    /// Solid / permanent house
    Solid,
    /// No shelter (open air)
    None,
}

/// Shelter problems observed at a site.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::ShelterCondition")]
pub enum ShelterCondition {
    /// Overcrowded
    Overcrowded,
    /// Damaged shelters
    Damaged,
    /// Flooding
    Flooded,
    /// No privacy / no partitions
    NoPrivacy,
    /// No lighting
    NoLighting,
    /// No lockable doors
    NoLocks,
    /// Adequate
    Adequate,
}

/// Humanitarian sectors (clusters).
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::Sector")]
pub enum Sector {
    /// Shelter / NFI
    ShelterNfi,
    /// Camp coordination and camp management
    Cccm,
    /// Water, sanitation and hygiene
    Wash,
    /// Health
    Health,
    /// Nutrition
    Nutrition,
    /// Food security
    FoodSecurity,
    /// Education
    Education,
    /// Protection
    Protection,
    /// Livelihoods
    Livelihoods,
}

/// Priority needs reported at a site, ranked by the key informants.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::PriorityNeed")]
pub enum PriorityNeed {
    /// Food
    Food,
    /// Shelter
    Shelter,
    /// Non-food items
    Nfi,
    /// Drinking water
    Water,
    /// Sanitation / latrines
    Sanitation,
    /// Health care
    Health,
    /// Education
    Education,
    /// Protection / security
    Protection,
    /// Livelihoods
    Livelihoods,
    /// Civil documentation
    Documentation,
}

/// Groups with specific needs counted at a site (individuals).
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::Vulnerability")]
pub enum Vulnerability {
    /// Pregnant or lactating women
    PregnantLactating,
    /// Unaccompanied or separated children
    UnaccompaniedChildren,
    /// Persons with disabilities
    Disability,
    /// Persons with chronic illness
    ChronicIllness,
    /// Older persons living alone
    OlderPersonsAlone,
    /// Female-headed households
    FemaleHeadedHouseholds,
    /// Child-headed households
    ChildHeadedHouseholds,
}

/// What a catalogue item is for (the cluster that plans it).
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::ItemCategory")]
pub enum ItemCategory {
    /// Shelter
    Shelter,
    /// Non-food item
    Nfi,
    /// Water, sanitation and hygiene
    Wash,
}

/// The base unit an item is counted in; every stock quantity is in base units.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::ItemUnit")]
pub enum ItemUnit {
    /// Piece
    Piece,
    /// Set
    Set,
    /// Roll
    Roll,
    /// Kit
    Kit,
    /// Kilogram
    #[graphql(name = "KG")]
    Kilogram,
    /// Litre
    Litre,
    /// Metre
    Metre,
}

/// The kind of a stock movement, which fixes its sign: `RECEIPT` and `TRANSFER_IN` add,
/// `DISPATCH`, `TRANSFER_OUT` and `LOSS` take away, `ADJUSTMENT` goes either way.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::MovementKind")]
pub enum MovementKind {
    /// Receipt
    Receipt,
    /// Dispatch
    Dispatch,
    /// Transfer out
    TransferOut,
    /// Transfer in
    TransferIn,
    /// Adjustment (stock count, found)
    Adjustment,
    /// Loss (lost, damaged, expired)
    Loss,
}

/// How assistance reaches households.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::DistributionModality")]
pub enum DistributionModality {
    /// In kind
    InKind,
    /// Cash
    Cash,
    /// Voucher
    Voucher,
}

/// Where a distribution stands.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "camptrack_domain::codes::DistributionStatus")]
pub enum DistributionStatus {
    /// Planned
    Planned,
    /// Ongoing
    Ongoing,
    /// Completed
    Completed,
    /// Cancelled
    Cancelled,
}
